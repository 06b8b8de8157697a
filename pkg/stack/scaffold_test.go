package stack

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mlops-dev/mlops/pkg/engine"
)

// initCompose is the compose file that mlops init writes for a project
// named demo, kept as a golden file by the scaffold package.
var initCompose = filepath.Join("..", "scaffold", "testdata", "golden", "docker-compose.yml.golden")

func TestNewPlan_InitComposeFile(t *testing.T) {
	data, err := os.ReadFile(initCompose)
	if err != nil {
		t.Fatalf("read the compose file mlops init writes: %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	env := "MLOPS_AUTH_SECRET=a\nMLOPS_REDIS_PASSWORD=b\nGRAFANA_ADMIN_PASSWORD=c\nCODE_SERVER_PASSWORD=d\n"
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}

	plan := loadPlan(t, dir, PlanOptions{})
	if len(plan.Services) == 0 {
		t.Fatal("plan has no services")
	}
	for _, svc := range plan.Services {
		spec := svc.Spec
		if spec.User == "" || spec.User == "0" || spec.User == "root" {
			t.Errorf("service %s: user %q, want a non-root user", svc.Name, spec.User)
		}
		if !svc.Healthcheck() {
			t.Errorf("service %s: no health check", svc.Name)
		}
		if spec.MemoryBytes == 0 || spec.NanoCPUs == 0 || spec.PidsLimit == 0 {
			t.Errorf("service %s: limits memory=%d cpus=%d pids=%d, want all set", svc.Name, spec.MemoryBytes, spec.NanoCPUs, spec.PidsLimit)
		}
		if len(spec.Ports) > 0 && svc.Name != "traefik" {
			t.Errorf("service %s publishes %v, but only traefik may", svc.Name, spec.Ports)
		}
		if spec.Labels[engine.LabelProject] != plan.Project {
			t.Errorf("service %s: project label %q, want %q", svc.Name, spec.Labels[engine.LabelProject], plan.Project)
		}
	}
	for _, n := range plan.Networks {
		if n.Name == plan.Project+"_backend" && !n.Internal {
			t.Errorf("network %s is not internal", n.Name)
		}
	}
}
