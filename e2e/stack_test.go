// Package e2e runs the mlops binary against a real Docker engine: init,
// train, up, predict, doctor and down, as a user would. The tests skip when
// no engine responds, unless MLOPS_REQUIRE_SERVICES=1.
package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/engine"
	"github.com/mlops-dev/mlops/pkg/ratelimit"
	"github.com/mlops-dev/mlops/pkg/stack"
)

// services are the stack's services in this test. The test machine has no
// registry, so only images that can be made here are used: the api image,
// which `mlops up` builds from the binary, and a Redis image assembled from
// the host's redis-server. Traefik, Prometheus, Grafana and code-server
// need images from a registry and are left out with init's --services.
const services = "api,redis"

// iris is one Iris setosa row, in the model's feature order.
var iris = []string{"5.1", "3.5", "1.4", "0.2"}

// newProject writes the project with init and trains a model.
func newProject(tb testing.TB) *fixture {
	tb.Helper()
	f, redisImage := newFixture(tb)
	f.mustRun(tb, "init", f.dir, "--project", f.project, "--services", services, "--image", "redis="+redisImage)
	f.mustRun(tb, "train", "--data", "data/iris.csv")
	return f
}

// startStack writes and trains the project, then runs up.
func startStack(tb testing.TB) *fixture {
	tb.Helper()
	f := newProject(tb)
	f.mustRun(tb, "up", "--wait-timeout", "90s")
	return f
}

func TestStack(t *testing.T) {
	f := startStack(t)

	t.Run("healthy", func(t *testing.T) { checkHealthy(t, f) })
	url := f.apiURL(t)
	token := strings.TrimSpace(f.mustRun(t, "token", "--sub", "e2e", "--role", "predict", "--role", "read").stdout)

	t.Run("predict", func(t *testing.T) { checkPredict(t, f, url, token) })
	t.Run("doctor", func(t *testing.T) { checkDoctor(t, f, url) })
	t.Run("redis stopped", func(t *testing.T) {
		waitLimiter(t, f, url, token, ratelimit.BackendRedis)
		stopService(t, f, "redis")
		// The api switches to its in-memory limiter after a few failed
		// Redis calls, and every prediction meanwhile still succeeds.
		for range ratelimit.DefaultFailureThreshold + 1 {
			checkPredict(t, f, url, token)
		}
		waitLimiter(t, f, url, token, ratelimit.BackendMemory)
	})

	// A second up starts the stopped Redis container again, and must
	// neither recreate it nor touch the running api.
	before := f.containerIDs(t)
	f.mustRun(t, "up", "--wait-timeout", "90s")
	checkIDs(t, "no-change up", before, f.containerIDs(t), nil)
	checkHealthy(t, f)
	waitLimiter(t, f, url, token, ratelimit.BackendRedis)

	// One changed environment variable changes the api's config hash, so
	// up recreates the api and leaves Redis alone.
	f.editFile(t, "docker-compose.yml", "      MLOPS_AUTH_SECRET:", "      E2E_CHANGED: \"1\"\n      MLOPS_AUTH_SECRET:")
	f.mustRun(t, "up", "--wait-timeout", "90s")
	checkIDs(t, "up after an api change", before, f.containerIDs(t), []string{"api"})
	checkPredict(t, f, f.apiURL(t), token)

	f.mustRun(t, "down")
	checkDown(t, f)
}

// checkHealthy fails unless every service has a running, healthy container.
func checkHealthy(t *testing.T, f *fixture) {
	t.Helper()
	containers := f.containers(t)
	for _, service := range strings.Split(services, ",") {
		c, ok := containers[service]
		if !ok {
			t.Errorf("service %s has no container (have %v)", service, sortedKeys(containers))
			continue
		}
		st, err := f.eng.InspectContainer(context.Background(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Running || st.Health != engine.HealthHealthy {
			t.Errorf("service %s: state %s, health %q; want running and healthy", service, st.Status, st.Health)
		}
	}
}

// checkPredict runs mlops predict against url and checks the class.
func checkPredict(t *testing.T, f *fixture, url, token string) {
	t.Helper()
	args := append([]string{"predict", "--url", url, "--token", token, "--output", "json", "--"}, iris...)
	r := f.mustRun(t, args...)
	var resp api.PredictResponse
	if err := json.Unmarshal([]byte(r.stdout), &resp); err != nil {
		t.Fatalf("predict output is not JSON: %v\n%s", err, r.stdout)
	}
	if resp.Class != "setosa" {
		t.Errorf("predicted class = %q, want setosa (output: %s)", resp.Class, r.stdout)
	}
}

// waitLimiter sends predictions until the api's GET /ready reports the
// rate limiter backend want. The api probes a failed Redis only while
// requests arrive, at most once a second, so the predictions drive the
// switch back.
func waitLimiter(t *testing.T, f *fixture, url, token, want string) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(15 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		resp, err := client.Get(url + "/ready")
		if err != nil {
			t.Fatalf("GET %s/ready: %v", url, err)
		}
		var ready api.ReadyResponse
		err = json.NewDecoder(resp.Body).Decode(&ready)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("GET %s/ready: decode: %v", url, err)
		}
		if ready.Limiter == want {
			return
		}
		last = ready.Limiter
		checkPredict(t, f, url, token)
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("GET %s/ready reports limiter %q after 15s, want %q", url, last, want)
}

// checkDoctor runs mlops doctor against the api container and checks the
// results that concern the running API and the stack. Checks of Traefik's
// TLS, host names and ports are not asserted: Traefik is left out.
func checkDoctor(t *testing.T, f *fixture, url string) {
	t.Helper()
	r := f.run(t, "doctor", "--url", url, "--output", "json")
	var out struct {
		Checks []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
			Detail string `json:"detail"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("doctor output is not JSON: %v\nstdout:\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	got := map[string]string{}
	for _, c := range out.Checks {
		got[c.Name] = c.Status + ": " + c.Detail
	}
	want := map[string]string{
		"api":                "pass",
		"token accepted":     "pass",
		"token required":     "pass",
		"docker":             "pass",
		"containers":         "pass",
		"api container":      "pass",
		"prometheus targets": "skip",
	}
	for name, status := range want {
		if !strings.HasPrefix(got[name], status+":") {
			t.Errorf("doctor check %q = %q, want %s", name, got[name], status)
		}
	}
}

// stopService stops a service's container, as a crash or an operator
// would, without going through mlops.
func stopService(t *testing.T, f *fixture, service string) {
	t.Helper()
	c, ok := f.containers(t)[service]
	if !ok {
		t.Fatalf("service %s has no container", service)
	}
	if err := f.eng.StopContainer(context.Background(), c.ID, 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

// checkIDs compares container IDs per service before and after an up: the
// services in changed must have new containers, all others the same.
func checkIDs(t *testing.T, step string, before, after map[string]string, changed []string) {
	t.Helper()
	for _, service := range sortedKeys(before) {
		recreated := after[service] != before[service]
		want := false
		for _, c := range changed {
			want = want || c == service
		}
		if recreated != want {
			t.Errorf("%s: service %s recreated = %t, want %t (container %.12s -> %.12s)",
				step, service, recreated, want, before[service], after[service])
		}
	}
	if len(after) != len(before) {
		t.Errorf("%s: services %v, want %v", step, sortedKeys(after), sortedKeys(before))
	}
}

// checkDown fails unless no container or network of the project remains
// while its volumes do.
func checkDown(t *testing.T, f *fixture) {
	t.Helper()
	ctx := context.Background()
	containers, err := f.eng.ListContainers(ctx, f.labels())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range containers {
		t.Errorf("after down, container %s remains", c.Name)
	}
	networks, err := f.eng.ListNetworks(ctx, f.labels())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range networks {
		t.Errorf("after down, network %s remains", n.Name)
	}
	volumes, err := f.eng.ListVolumes(ctx, f.labels())
	if err != nil {
		t.Fatal(err)
	}
	want := stack.ObjectName(f.project, "redis-data")
	found := false
	for _, v := range volumes {
		found = found || v.Name == want
	}
	if !found {
		t.Errorf("after down, volume %s is gone; down without --volumes must keep it", want)
	}
}
