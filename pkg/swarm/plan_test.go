package swarm_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	swarmtypes "github.com/docker/docker/api/types/swarm"
	"github.com/google/go-cmp/cmp"

	"github.com/mlops-dev/mlops/pkg/stack"
	"github.com/mlops-dev/mlops/pkg/swarm"
)

const planCompose = `services:
  api:
    image: mlops:dev
    command: ["serve"]
    user: "65532:65532"
    environment:
      MLOPS_AUTH_SECRET: auth-secret-value
      PLAIN: visible
    volumes:
      - ./conf:/project/conf:ro
      - ./data:/project/data
    tmpfs: ["/tmp:size=16m,mode=1777"]
    security_opt: ["no-new-privileges:true"]
    cpus: 0.5
    mem_limit: 64m
    deploy:
      placement:
        constraints: ["node.role == manager"]
    networks: [backend]
    ports: ["${PORT_SPEC}"]
  redis:
    image: redis:test
    command: ["redis-server", "--requirepass", "pa\"ss", "--appendonly", "yes"]
    user: "999:999"
    volumes: [redis-data:/data]
    restart: on-failure
    networks: [backend]
networks:
  backend:
    internal: true
volumes:
  redis-data: {}
`

func loadPlan(t *testing.T, port string, opts swarm.PlanOptions) (*swarm.Plan, error) {
	t.Helper()
	return loadPlanIn(t, t.TempDir(), port, opts)
}

// loadPlanIn writes the compose project into dir, which may hold it from
// an earlier call, and plans it.
func loadPlanIn(t *testing.T, dir, port string, opts swarm.PlanOptions) (*swarm.Plan, error) {
	t.Helper()
	writeFile(t, filepath.Join(dir, "docker-compose.yml"), planCompose)
	writeFile(t, filepath.Join(dir, ".env"), "PORT_SPEC="+port+"\n")
	for _, d := range []string{"conf", "data"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(dir, "conf", "mlops.yaml"), "project: p\n")
	writeFile(t, filepath.Join(dir, "conf", "server.key"), "-----BEGIN PRIVATE KEY-----\n")
	p, err := stack.Load(context.Background(), stack.LoadOptions{Dir: dir, Name: "demo"})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return swarm.NewPlan(p, opts)
}

func mustPlan(t *testing.T) *swarm.Plan {
	t.Helper()
	plan, err := loadPlan(t, "8080:8080", swarm.PlanOptions{})
	if err != nil {
		t.Fatalf("NewPlan: %v", err)
	}
	return plan
}

func TestPlan_SecretsLeaveSpec(t *testing.T) {
	plan := mustPlan(t)
	api, _ := plan.Service("api")
	cs := api.Spec.TaskTemplate.ContainerSpec
	want := []string{"MLOPS_AUTH_SECRET_FILE=/run/secrets/mlops_auth_secret", "PLAIN=visible"}
	if diff := cmp.Diff(want, cs.Env); diff != "" {
		t.Errorf("api env (-want +got):\n%s", diff)
	}
	redis, _ := plan.Service("redis")
	args := redis.Spec.TaskTemplate.ContainerSpec.Args
	wantArgs := []string{"redis-server", "/run/secrets/redis-redis.conf", "--appendonly", "yes"}
	if diff := cmp.Diff(wantArgs, args); diff != "" {
		t.Errorf("redis args (-want +got):\n%s", diff)
	}
	var confData string
	for _, s := range plan.Secrets {
		if strings.Contains(s.Name, "redis-redis.conf") {
			confData = string(s.Data)
		}
	}
	if confData != "requirepass \"pa\\\"ss\"\n" {
		t.Errorf("redis.conf secret = %q, want the quoted requirepass line", confData)
	}
	for _, s := range plan.Secrets {
		if len(s.Name) > 64 {
			t.Errorf("secret name %q is longer than 64 characters", s.Name)
		}
	}
}

func TestPlan_BindMountsBecomeConfigs(t *testing.T) {
	plan := mustPlan(t)
	api, _ := plan.Service("api")
	cs := api.Spec.TaskTemplate.ContainerSpec
	var configs, secrets []string
	for _, c := range cs.Configs {
		configs = append(configs, c.File.Name)
	}
	for _, s := range cs.Secrets {
		secrets = append(secrets, s.File.Name+" uid="+s.File.UID+" mode="+s.File.Mode.String())
	}
	if diff := cmp.Diff([]string{"/project/conf/mlops.yaml"}, configs); diff != "" {
		t.Errorf("api configs (-want +got):\n%s", diff)
	}
	wantSecrets := []string{
		"mlops_auth_secret uid=65532 mode=-r--------",
		"/project/conf/server.key uid=65532 mode=-r--------",
	}
	if diff := cmp.Diff(wantSecrets, secrets); diff != "" {
		t.Errorf("api secrets (-want +got):\n%s", diff)
	}
	var binds []string
	for _, m := range cs.Mounts {
		binds = append(binds, string(m.Type)+" "+m.Target)
	}
	if diff := cmp.Diff([]string{"bind /project/data", "tmpfs /tmp"}, binds); diff != "" {
		t.Errorf("api mounts (-want +got):\n%s", diff)
	}
	if len(plan.Warnings) != 1 || !strings.Contains(plan.Warnings[0], "writable") {
		t.Errorf("warnings = %q, want one about the writable bind mount", plan.Warnings)
	}
}

func TestPlan_DeployPolicies(t *testing.T) {
	plan := mustPlan(t)
	api, _ := plan.Service("api")
	redis, _ := plan.Service("redis")
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"api replicas", api.Replicas(), uint64(swarm.DefaultReplicas)},
		{"redis replicas", redis.Replicas(), uint64(1)},
		{"api update order", api.Spec.UpdateConfig.Order, swarmtypes.UpdateOrderStartFirst},
		{"redis update order", redis.Spec.UpdateConfig.Order, swarmtypes.UpdateOrderStopFirst},
		{"api failure action", api.Spec.UpdateConfig.FailureAction, swarmtypes.UpdateFailureActionRollback},
		{"api parallelism", api.Spec.UpdateConfig.Parallelism, uint64(1)},
		{"api monitor", api.Spec.UpdateConfig.Monitor, 10 * time.Second},
		{"redis restart", redis.Spec.TaskTemplate.RestartPolicy.Condition,
			swarmtypes.RestartPolicyConditionOnFailure},
		{"api cpus", api.Spec.TaskTemplate.Resources.Limits.NanoCPUs, int64(5e8)},
		{"api memory", api.Spec.TaskTemplate.Resources.Limits.MemoryBytes, int64(64 << 20)},
		{"api placement", api.Spec.TaskTemplate.Placement.Constraints, []string{"node.role == manager"}},
		{"api network alias", api.Spec.TaskTemplate.Networks[0].Aliases, []string{"api"}},
		{"network encrypted", plan.Networks[0].Encrypted, true},
		{"service order", []string{plan.Services[0].Name, plan.Services[1].Name}, []string{"api", "redis"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestPlan_Errors(t *testing.T) {
	tests := []struct {
		name, port string
		opts       swarm.PlanOptions
		want       string
	}{
		{"host ip", "127.0.0.1:8080:8080", swarm.PlanOptions{}, "host_ip 127.0.0.1 cannot be kept"},
		{"unknown replicas", "8080:8080", swarm.PlanOptions{Replicas: map[string]uint64{"nope": 2}},
			`replicas for service "nope"`},
		{"unknown skip", "8080:8080", swarm.PlanOptions{Skip: []string{"nope"}}, `cannot skip service "nope"`},
		{"unknown endpoint mode", "8080:8080", swarm.PlanOptions{EndpointMode: "round-robin"},
			`endpoint_mode "round-robin" is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadPlan(t, tt.port, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewPlan error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := loadPlan(t, "127.0.0.1:8080:8080", swarm.PlanOptions{PublishAllInterfaces: true}); err != nil {
		t.Errorf("NewPlan with PublishAllInterfaces: %v", err)
	}
}

func TestPlan_EndpointMode(t *testing.T) {
	tests := []struct {
		name        string
		mode        string
		wantMode    swarmtypes.ResolutionMode
		wantPublish swarmtypes.PortConfigPublishMode
		wantWarning bool
	}{
		{"default is vip", "", swarmtypes.ResolutionModeVIP, swarmtypes.PortConfigPublishModeIngress, false},
		{"vip", swarm.EndpointVIP, swarmtypes.ResolutionModeVIP, swarmtypes.PortConfigPublishModeIngress, false},
		{"dnsrr publishes in host mode", swarm.EndpointDNSRR, swarmtypes.ResolutionModeDNSRR,
			swarmtypes.PortConfigPublishModeHost, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := loadPlan(t, "8080:8080", swarm.PlanOptions{EndpointMode: tt.mode})
			if err != nil {
				t.Fatalf("NewPlan: %v", err)
			}
			for _, svc := range plan.Services {
				if got := svc.Spec.EndpointSpec.Mode; got != tt.wantMode {
					t.Errorf("%s endpoint mode = %q, want %q", svc.Name, got, tt.wantMode)
				}
			}
			api, _ := plan.Service("api")
			if got := api.Spec.EndpointSpec.Ports[0].PublishMode; got != tt.wantPublish {
				t.Errorf("api port publish mode = %q, want %q", got, tt.wantPublish)
			}
			var warned bool
			for _, w := range plan.Warnings {
				warned = warned || strings.Contains(w, "published in host mode")
			}
			if warned != tt.wantWarning {
				t.Errorf("warnings = %q, want a host-mode warning: %v", plan.Warnings, tt.wantWarning)
			}
		})
	}
}

func TestPlan_HashIgnoresReplicas(t *testing.T) {
	dir := t.TempDir()
	a, err := loadPlanIn(t, dir, "8080:8080", swarm.PlanOptions{Replicas: map[string]uint64{"api": 2}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := loadPlanIn(t, dir, "8080:8080", swarm.PlanOptions{Replicas: map[string]uint64{"api": 5}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := loadPlanIn(t, dir, "8080:8080", swarm.PlanOptions{Revisions: map[string]string{"api": "iris:v2"}})
	if err != nil {
		t.Fatal(err)
	}
	ha, _ := a.Service("api")
	hb, _ := b.Service("api")
	hc, _ := c.Service("api")
	if ha.Hash != hb.Hash {
		t.Errorf("hash changed with the replica count: %s vs %s", ha.Hash, hb.Hash)
	}
	if ha.Hash == hc.Hash {
		t.Errorf("hash did not change with a new revision")
	}
}
