package stack

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mlops-dev/mlops/pkg/engine"
)

func loadPlan(t *testing.T, dir string, opts PlanOptions) *Plan {
	t.Helper()
	project, err := Load(context.Background(), LoadOptions{Dir: dir})
	if err != nil {
		t.Fatalf("Load(%s): %v", dir, err)
	}
	plan, err := NewPlan(project, opts)
	if err != nil {
		t.Fatalf("NewPlan: %v", err)
	}
	return plan
}

// copyBasic copies testdata/basic to a temporary directory, replacing the
// compose file's text old with new.
func copyBasic(t *testing.T, old, new string) string {
	t.Helper()
	dir := t.TempDir()
	writeBasic(t, dir, old, new)
	return dir
}

// writeBasic writes testdata/basic into dir, replacing old with new.
func writeBasic(t *testing.T, dir, old, new string) {
	t.Helper()
	for _, name := range []string{"docker-compose.yml", ".env", "api.env"} {
		data, err := os.ReadFile(filepath.Join("testdata", "basic", name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "docker-compose.yml" && old != "" {
			if !strings.Contains(string(data), old) {
				t.Fatalf("testdata compose file has no %q", old)
			}
			data = []byte(strings.Replace(string(data), old, new, 1))
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNewPlan_Basic(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("testdata", "basic"))
	if err != nil {
		t.Fatal(err)
	}
	plan := loadPlan(t, dir, PlanOptions{Labels: map[string]string{"com.mlops.test": "1"}})

	if plan.Project != "basic" {
		t.Errorf("Project = %q, want basic from the compose file's name", plan.Project)
	}
	var order []string
	for _, s := range plan.Services {
		order = append(order, s.Name)
	}
	if diff := cmp.Diff([]string{"redis", "api", "traefik"}, order); diff != "" {
		t.Errorf("service order (-want +got):\n%s", diff)
	}
	wantNetworks := []engine.NetworkSpec{
		{Name: "basic_backend", Internal: true, Labels: map[string]string{engine.LabelProject: "basic", "com.mlops.test": "1"}},
		{Name: "basic_frontend", Labels: map[string]string{engine.LabelProject: "basic", "com.mlops.test": "1"}},
	}
	if diff := cmp.Diff(wantNetworks, plan.Networks); diff != "" {
		t.Errorf("networks (-want +got):\n%s", diff)
	}
	var volumes []string
	for _, v := range plan.Volumes {
		volumes = append(volumes, v.Name)
	}
	if diff := cmp.Diff([]string{"basic_models", "basic_redis-data"}, volumes); diff != "" {
		t.Errorf("volumes (-want +got):\n%s", diff)
	}

	api, _ := plan.Service("api")
	want := engine.ContainerSpec{
		Name:  "basic-api-1",
		Image: "mlops:1.2.3",
		Cmd:   []string{"serve", "--addr", ":8080"},
		Env:   []string{"LOG_LEVEL=debug", "REDIS_ADDR=redis:6379", "REDIS_PASSWORD=s3cret-from-dotenv"},
		User:  "65532:65532",
		Labels: map[string]string{
			"team": "ml", "com.mlops.test": "1",
			engine.LabelProject: "basic", engine.LabelService: "api", engine.LabelConfigHash: api.Hash,
		},
		ReadOnly:    true,
		CapDrop:     []string{"ALL"},
		SecurityOpt: []string{"no-new-privileges:true"},
		Health: &engine.HealthSpec{
			Test:     []string{"CMD", "/mlops", "health"},
			Interval: 5 * time.Second, Timeout: 3 * time.Second, StartPeriod: 10 * time.Second, Retries: 3,
		},
		Restart:     "unless-stopped",
		MemoryBytes: 256 << 20,
		NanoCPUs:    500_000_000,
		Networks: []engine.NetworkAttach{
			{Network: "basic_backend", Aliases: []string{"api", "model-api"}},
			{Network: "basic_frontend", Aliases: []string{"api"}},
		},
		Mounts: []engine.Mount{
			{Type: "volume", Source: "basic_models", Target: "/models", ReadOnly: true},
			{Type: "bind", Source: filepath.Join(dir, "certs"), Target: "/certs", ReadOnly: true},
		},
		Tmpfs: map[string]string{"/tmp": "size=16m"},
	}
	if diff := cmp.Diff(want, api.Spec); diff != "" {
		t.Errorf("api spec (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Dependency{{Service: "redis", Healthy: true}}, api.DependsOn); diff != "" {
		t.Errorf("api depends_on (-want +got):\n%s", diff)
	}

	redis, _ := plan.Service("redis")
	if redis.Spec.MemoryBytes != 128<<20 || redis.Spec.NanoCPUs != 250_000_000 || redis.Spec.PidsLimit != 64 {
		t.Errorf("redis limits = %d bytes, %d nano CPUs, %d processes; want 128 MiB, 0.25 CPU and 64",
			redis.Spec.MemoryBytes, redis.Spec.NanoCPUs, redis.Spec.PidsLimit)
	}
	if diff := cmp.Diff([]string{"redis-server", "--requirepass", "s3cret-from-dotenv"}, redis.Spec.Cmd); diff != "" {
		t.Errorf("redis command (-want +got):\n%s", diff)
	}

	traefik, _ := plan.Service("traefik")
	wantPorts := []engine.PortBinding{{HostIP: "127.0.0.1", HostPort: "9443", ContainerPort: 443, Protocol: "tcp"}}
	if diff := cmp.Diff(wantPorts, traefik.Spec.Ports); diff != "" {
		t.Errorf("traefik ports (-want +got):\n%s", diff)
	}
	if traefik.Spec.Hostname != "edge" || traefik.Spec.WorkingDir != "/etc/traefik" {
		t.Errorf("traefik hostname %q, working dir %q; want edge and /etc/traefik", traefik.Spec.Hostname, traefik.Spec.WorkingDir)
	}
	if len(api.Spec.Ports) != 0 || len(redis.Spec.Ports) != 0 {
		t.Errorf("only traefik publishes ports, but api has %v and redis %v", api.Spec.Ports, redis.Spec.Ports)
	}
}

func TestNewPlan_HashStable(t *testing.T) {
	dir := copyBasic(t, "", "")
	first := loadPlan(t, dir, PlanOptions{})
	second := loadPlan(t, dir, PlanOptions{})
	for i := range first.Services {
		a, b := first.Services[i], second.Services[i]
		if a.Hash != b.Hash {
			t.Errorf("service %s: hash %s then %s for the same file", a.Name, a.Hash, b.Hash)
		}
		if len(a.Hash) != 64 {
			t.Errorf("service %s: hash %q is not a hex SHA-256", a.Name, a.Hash)
		}
	}
}

func TestNewPlan_HashChangesOnlyForChangedService(t *testing.T) {
	dir := copyBasic(t, "", "")
	base := loadPlan(t, dir, PlanOptions{})
	tests := []struct {
		name     string
		old, new string
		changed  string
	}{
		{"memory limit", "mem_limit: 128m", "mem_limit: 192m", "redis"},
		{"environment", "REDIS_ADDR: redis:6379", "REDIS_ADDR: redis:6380", "api"},
		{"published port", `"127.0.0.1:9443:443"`, `"127.0.0.1:9444:443"`, "traefik"},
		{"healthcheck interval", "interval: 2s", "interval: 3s", "redis"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writeBasic(t, dir, tt.old, tt.new)
			changed := loadPlan(t, dir, PlanOptions{})
			for i, s := range changed.Services {
				same := s.Hash == base.Services[i].Hash
				if s.Name == tt.changed && same {
					t.Errorf("service %s: hash unchanged after changing %s", s.Name, tt.name)
				}
				if s.Name != tt.changed && !same {
					t.Errorf("service %s: hash changed, but only %s was edited", s.Name, tt.changed)
				}
			}
		})
	}
}

func TestNewPlan_UnsupportedKeys(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     string
	}{
		{"build", "image: traefik:v3.1", "image: traefik:v3.1\n    build: .", `service "traefik": key "build"`},
		{"privileged", "hostname: edge", "hostname: edge\n    privileged: true", `service "traefik": key "privileged"`},
		{"devices", "hostname: edge", "hostname: edge\n    devices: [\"/dev/fuse:/dev/fuse\"]", `service "traefik": key "devices"`},
		{"pid", "hostname: edge", "hostname: edge\n    pid: host", `service "traefik": key "pid"`},
		{"network_mode host", "    networks: [frontend]\n    depends_on: [api]", "    network_mode: host\n    depends_on: [api]", `service "traefik": key "network_mode"`},
		{"container_name", "hostname: edge", "hostname: edge\n    container_name: edge", `service "traefik": key "container_name"`},
		{"healthcheck start_interval", "interval: 2s", "interval: 2s\n      start_interval: 1s", `service "redis" healthcheck: key "start_interval"`},
		{"deploy replicas", "    deploy:\n", "    deploy:\n      replicas: 2\n", `service "api" deploy: key "replicas"`},
		{"deploy reservations", "        limits:\n", "        reservations:\n          memory: 64M\n        limits:\n", `deploy.resources: key "reservations"`},
		{"completed condition", "condition: service_healthy", "condition: service_completed_successfully", "service_completed_successfully"},
		{"ipv4 address", "aliases: [model-api]", "aliases: [model-api]\n        ipv4_address: 10.0.0.5", `key "ipv4_address"`},
		{"external network", "    internal: true", "    external: true", `network "backend": key "external"`},
		{"network driver", "    internal: true", "    driver: overlay", `driver "overlay"`},
		{"no image", "    image: traefik:v3.1\n", "", `"traefik"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyBasic(t, tt.old, tt.new)
			project, err := Load(context.Background(), LoadOptions{Dir: dir})
			if err == nil {
				_, err = NewPlan(project, PlanOptions{})
			}
			if err == nil {
				t.Fatalf("Load and NewPlan succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans several lines, want one", err)
			}
		})
	}
}

func TestNewPlan_Skip(t *testing.T) {
	plan := loadPlan(t, copyBasic(t, "", ""), PlanOptions{Skip: []string{"redis"}})
	if _, ok := plan.Service("redis"); ok {
		t.Errorf("skipped service redis is in the plan")
	}
	api, _ := plan.Service("api")
	if len(api.DependsOn) != 0 {
		t.Errorf("api still depends on %v after redis was skipped", api.DependsOn)
	}
	if diff := cmp.Diff([]string{"redis"}, plan.Skipped); diff != "" {
		t.Errorf("Skipped (-want +got):\n%s", diff)
	}

	project, err := Load(context.Background(), LoadOptions{Dir: copyBasic(t, "", "")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewPlan(project, PlanOptions{Skip: []string{"grafana"}})
	if err == nil || !strings.Contains(err.Error(), `"grafana"`) {
		t.Errorf("NewPlan with --skip grafana: error = %v, want one naming grafana", err)
	}
}

func TestNewPlan_DependencyCycle(t *testing.T) {
	dir := copyBasic(t, "    volumes:\n      - redis-data:/data", "    volumes:\n      - redis-data:/data\n    depends_on: [traefik]")
	project, err := Load(context.Background(), LoadOptions{Dir: dir})
	if err != nil {
		// compose-go may reject the cycle itself; either way it must be named.
		if !strings.Contains(err.Error(), "cycle") {
			t.Fatalf("Load error %q does not mention the cycle", err)
		}
		return
	}
	_, err = NewPlan(project, PlanOptions{})
	if err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("NewPlan error = %v, want a dependency cycle error", err)
	}
}

func TestLoad_Errors(t *testing.T) {
	t.Run("unset variable", func(t *testing.T) {
		dir := copyBasic(t, "", "")
		if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("MLOPS_TAG=1\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(context.Background(), LoadOptions{Dir: dir})
		if err == nil || !strings.Contains(err.Error(), "REDIS_PASSWORD") {
			t.Fatalf("Load error = %v, want one naming REDIS_PASSWORD", err)
		}
	})
	t.Run("variable with default", func(t *testing.T) {
		dir := copyBasic(t, "image: mlops:${MLOPS_TAG}", "image: mlops:${UNSET_TAG:-dev}")
		project, err := Load(context.Background(), LoadOptions{Dir: dir})
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if got := project.Services["api"].Image; got != "mlops:dev" {
			t.Errorf("api image = %q, want mlops:dev from the default", got)
		}
	})
	t.Run("env overrides dotenv", func(t *testing.T) {
		project, err := Load(context.Background(), LoadOptions{Dir: copyBasic(t, "", ""), Env: []string{"MLOPS_TAG=9.9.9"}})
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if got := project.Services["api"].Image; got != "mlops:9.9.9" {
			t.Errorf("api image = %q, want mlops:9.9.9 from LoadOptions.Env", got)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := Load(context.Background(), LoadOptions{Dir: t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), "mlops init") {
			t.Fatalf("Load error = %v, want a not-found error that suggests mlops init", err)
		}
	})
	t.Run("name override", func(t *testing.T) {
		project, err := Load(context.Background(), LoadOptions{Dir: copyBasic(t, "", ""), Name: "other"})
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if project.Name != "other" {
			t.Errorf("project name = %q, want other", project.Name)
		}
	})
}

func TestOrderServices_StableByName(t *testing.T) {
	services := []Service{
		{Name: "c", DependsOn: []Dependency{{Service: "a"}}},
		{Name: "b"},
		{Name: "a"},
		{Name: "d", DependsOn: []Dependency{{Service: "c"}, {Service: "b"}}},
	}
	got, err := orderServices(services)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range got {
		names = append(names, s.Name)
	}
	if !slices.Equal(names, []string{"a", "b", "c", "d"}) {
		t.Errorf("order = %v, want [a b c d]", names)
	}
}
