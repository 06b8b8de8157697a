package scaffold

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadCompose loads docker-compose.yml with compose-go the way docker
// compose does, interpolating from the project's .env.
func loadCompose(t *testing.T, dir string) *types.Project {
	t.Helper()
	po, err := cli.NewProjectOptions(
		[]string{filepath.Join(dir, "docker-compose.yml")},
		cli.WithWorkingDirectory(dir),
		cli.WithEnvFiles(),
		cli.WithDotEnv,
	)
	if err != nil {
		t.Fatalf("compose project options: %v", err)
	}
	project, err := po.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("load docker-compose.yml with compose-go: %v", err)
	}
	return project
}

func TestCompose_SecurityPerService(t *testing.T) {
	dir, _ := initProject(t, Options{})
	project := loadCompose(t, dir)

	var names []string
	for name := range project.Services {
		names = append(names, name)
	}
	slices.Sort(names)
	want := slices.Sorted(slices.Values(Services))
	if !slices.Equal(names, want) {
		t.Fatalf("services = %v, want %v", names, want)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			checkHardening(t, project.Services[name], project.Name)
		})
	}
}

func checkHardening(t *testing.T, svc types.ServiceConfig, projectName string) {
	t.Helper()
	user, _, _ := strings.Cut(svc.User, ":")
	if user == "" || user == "0" || user == "root" {
		t.Errorf("user = %q, want a non-root user", svc.User)
	}
	if !svc.ReadOnly && svc.Name != "code-server" {
		t.Error("read_only is false")
	}
	if !slices.Equal(svc.CapDrop, []string{"ALL"}) {
		t.Errorf("cap_drop = %v, want [ALL]", svc.CapDrop)
	}
	if len(svc.CapAdd) != 0 {
		t.Errorf("cap_add = %v, want none", svc.CapAdd)
	}
	if !slices.Contains(svc.SecurityOpt, "no-new-privileges:true") {
		t.Errorf("security_opt = %v, want no-new-privileges:true", svc.SecurityOpt)
	}
	hc := svc.HealthCheck
	if hc == nil || len(hc.Test) == 0 || hc.Disable {
		t.Fatal("no health check")
	}
	if hc.Interval == nil || hc.Timeout == nil || hc.Retries == nil || hc.StartPeriod == nil {
		t.Errorf("health check lacks interval, timeout, retries or start_period: %+v", hc)
	}
	if svc.Restart == "" || svc.Restart == "no" {
		t.Errorf("restart = %q, want a restart policy", svc.Restart)
	}
	if svc.MemLimit <= 0 {
		t.Error("no mem_limit")
	}
	if svc.CPUS <= 0 {
		t.Error("no cpus limit")
	}
	_, tag, ok := strings.Cut(svc.Image, ":")
	if !ok || tag == "" || tag == "latest" {
		t.Errorf("image %q has no pinned tag", svc.Image)
	}
	if got := svc.Labels["com.mlops.project"]; got != projectName {
		t.Errorf("label com.mlops.project = %q, want %q", got, projectName)
	}
	if svc.Name != "traefik" && len(svc.Ports) > 0 {
		t.Errorf("publishes ports %v; only traefik may", svc.Ports)
	}
}

func TestCompose_NetworksAndPorts(t *testing.T) {
	dir, _ := initProject(t, Options{HTTPSPort: 9443, HTTPPort: 9080})
	project := loadCompose(t, dir)

	if !project.Networks["backend"].Internal {
		t.Error("backend network is not internal")
	}
	if project.Networks["frontend"].Internal {
		t.Error("frontend network is internal; Traefik could not be reached")
	}
	networks := func(name string) []string {
		return slices.Sorted(func(yield func(string) bool) {
			for n := range project.Services[name].Networks {
				if !yield(n) {
					return
				}
			}
		})
	}
	if got := networks("redis"); !slices.Equal(got, []string{"backend"}) {
		t.Errorf("redis networks = %v, want [backend]", got)
	}
	if got := networks("api"); !slices.Equal(got, []string{"backend", "frontend"}) {
		t.Errorf("api networks = %v, want [backend frontend]", got)
	}
	if got := networks("traefik"); !slices.Equal(got, []string{"frontend"}) {
		t.Errorf("traefik networks = %v, want [frontend]", got)
	}

	ports := project.Services["traefik"].Ports
	published := map[string]uint32{}
	for _, p := range ports {
		published[p.Published] = p.Target
		if p.HostIP != "127.0.0.1" {
			t.Errorf("port %s published on %q, want 127.0.0.1 for a localhost domain", p.Published, p.HostIP)
		}
	}
	if published["9443"] != containerHTTPSPort || published["9080"] != containerHTTPPort {
		t.Errorf("traefik ports = %+v, want 9443->%d and 9080->%d", ports, containerHTTPSPort, containerHTTPPort)
	}
}

func TestCompose_RedisRequiresPassword(t *testing.T) {
	dir, _ := initProject(t, Options{})
	project := loadCompose(t, dir)
	env, _, err := readEnv(filepath.Join(dir, ".env"))
	if err != nil {
		t.Fatalf("read .env: %v", err)
	}
	password := env["MLOPS_REDIS_PASSWORD"]

	cmd := project.Services["redis"].Command
	i := slices.Index(cmd, "--requirepass")
	if i < 0 || i+1 >= len(cmd) {
		t.Fatalf("redis command %q lacks --requirepass", cmd)
	}
	if cmd[i+1] != password {
		t.Error("redis --requirepass is not MLOPS_REDIS_PASSWORD from .env")
	}
	if got := project.Services["api"].Environment["MLOPS_REDIS_PASSWORD"]; got == nil || *got != password {
		t.Error("api does not get MLOPS_REDIS_PASSWORD from .env")
	}
	dep, ok := project.Services["api"].DependsOn["redis"]
	if !ok || dep.Condition != types.ServiceConditionHealthy {
		t.Errorf("api depends_on redis = %+v, want condition service_healthy", dep)
	}
}

func TestCompose_APIHealthcheckUsesBinary(t *testing.T) {
	dir, _ := initProject(t, Options{})
	project := loadCompose(t, dir)
	got := []string(project.Services["api"].HealthCheck.Test)
	want := []string{"CMD", "/mlops", "health", "--url", "http://127.0.0.1:8080/health"}
	if !slices.Equal(got, want) {
		t.Errorf("api health check = %q, want %q", got, want)
	}
}

func TestCompose_ServiceSelection(t *testing.T) {
	tests := []struct {
		name     string
		services []string
	}{
		{"api only", []string{"api"}},
		{"api and redis", []string{"redis", "api"}},
		{"without code-server", []string{"traefik", "api", "redis", "prometheus", "grafana"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, _ := initProject(t, Options{Services: tt.services})
			project := loadCompose(t, dir)
			var got []string
			for name, svc := range project.Services {
				got = append(got, name)
				checkHardening(t, svc, project.Name)
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.services))
			if !slices.Equal(got, want) {
				t.Errorf("services = %v, want %v", got, want)
			}
		})
	}
}
