package doctor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/config"
	"github.com/mlops-dev/mlops/pkg/engine"
	"github.com/mlops-dev/mlops/pkg/engine/enginetest"
	"github.com/mlops-dev/mlops/pkg/imagebuild"
	"github.com/mlops-dev/mlops/pkg/stack"
)

// stackFixture is a project on the real engine whose services run the
// enginetest test server, which serves GET /healthz and passes its own
// health check unless HEALTH_FAIL=1.
type stackFixture struct {
	eng     *engine.Client
	image   string
	project string
	network string
	env     *Env
}

func newStackFixture(t *testing.T) *stackFixture {
	t.Helper()
	eng := enginetest.Connect(t)
	f := &stackFixture{eng: eng, image: enginetest.UniqueTag(t, "mlops-doctor-test")}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	binary := enginetest.BuildTestApp(t)
	if _, err := imagebuild.Ensure(ctx, eng, imagebuild.Options{Binary: binary, Tag: f.image}, nil); err != nil {
		t.Fatalf("build test image: %v", err)
	}
	enginetest.RemoveImageOnCleanup(t, eng, f.image)

	f.project = enginetest.Project(t, eng)
	f.network = stack.ObjectName(f.project, frontendNetwork)
	labels := f.labels("")
	if _, err := eng.CreateNetwork(ctx, engine.NetworkSpec{Name: f.network, Labels: labels}); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Project: f.project, Dir: t.TempDir()}
	f.env = &Env{Config: cfg, Stack: true, Resolver: noDNS(t)}
	return f
}

func (f *stackFixture) labels(service string) map[string]string {
	labels := enginetest.Labels()
	labels[engine.LabelProject] = f.project
	if service != "" {
		labels[engine.LabelService] = service
	}
	return labels
}

// start runs the test server as service, listening on port, and waits
// until the engine reports the health check's first result.
func (f *stackFixture) start(t *testing.T, service, port string, env ...string) string {
	t.Helper()
	ctx := context.Background()
	spec := engine.ContainerSpec{
		Name:   stack.ContainerName(f.project, service),
		Image:  f.image,
		Cmd:    []string{"serve"},
		Env:    append([]string{"LISTEN=:" + port}, env...),
		Labels: f.labels(service),
		Health: &engine.HealthSpec{
			Test:     []string{"CMD", "/mlops", "health"},
			Interval: 300 * time.Millisecond,
			Timeout:  2 * time.Second,
			Retries:  1,
		},
		Networks: []engine.NetworkAttach{{Network: f.network, Aliases: []string{service}}},
	}
	id, err := f.eng.CreateContainer(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.eng.StartContainer(ctx, id); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := f.eng.InspectContainer(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Health == engine.HealthHealthy || st.Health == engine.HealthUnhealthy {
			return id
		}
		if time.Now().After(deadline) {
			t.Fatalf("service %s: no health result within 30s (health %q)", service, st.Health)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestStackChecks_NoStack(t *testing.T) {
	env := &Env{Config: &config.Config{Project: "p"}, Resolver: noDNS(t)}
	for _, name := range []string{"containers", "api container", "prometheus targets"} {
		want(t, runCheck(t, env, name), StatusSkip, "no docker-compose.yml", "")
	}
	env.Stack = true
	env.Config.Mode = "swarm"
	env.Config.Stack.Services = []string{"api", "prometheus"}
	for _, name := range []string{"containers", "api container", "prometheus targets"} {
		want(t, runCheck(t, env, name), StatusSkip, "swarm services", "")
	}
}

func TestStackChecks_Engine(t *testing.T) {
	f := newStackFixture(t)
	env := f.env
	env.Config.Stack.Services = []string{"api"}

	want(t, runCheck(t, env, "containers"), StatusWarn, "no container of project "+f.project+" exists", "mlops up")
	want(t, runCheck(t, env, "api container"), StatusSkip, "the api service has no container", "")
	want(t, runCheck(t, env, "prometheus targets"), StatusSkip, "prometheus is not in stack.services", "")

	// The test server serves /healthz but not /health, so the check
	// reaches the api container at its address and gets a 404.
	apiID := f.start(t, "api", apiContainerPort)
	want(t, runCheck(t, env, "containers"), StatusPass, "1 containers running: api (healthy)", "")
	api := runCheck(t, env, "api container")
	want(t, api, StatusFail, "GET http://", "mlops logs")
	want(t, api, StatusFail, ":8080/health on the api container", "")

	env.Config.Stack.Services = []string{"api", "prometheus"}
	want(t, runCheck(t, env, "containers"), StatusWarn, "no container for prometheus", "stack.services")
	want(t, runCheck(t, env, "prometheus targets"), StatusSkip, "the prometheus service has no container", "")

	// A server on Prometheus's port that is not Prometheus.
	f.start(t, "prometheus", prometheusContainerPort)
	want(t, runCheck(t, env, "prometheus targets"), StatusFail, "not the Prometheus API's JSON",
		"runs Prometheus on port 9090")

	f.start(t, "worker", "8081", "HEALTH_FAIL=1")
	want(t, runCheck(t, env, "containers"), StatusFail, "worker ("+stack.ContainerName(f.project, "worker")+") is unhealthy",
		"mlops logs --tail 50 worker")

	if err := f.eng.StopContainer(context.Background(), apiID, time.Second); err != nil {
		t.Fatal(err)
	}
	want(t, runCheck(t, env, "containers"), StatusFail, "api ("+stack.ContainerName(f.project, "api")+") is exited", "")
	want(t, runCheck(t, env, "api container"), StatusSkip, "is exited (see the containers check)", "")
}

// Bodies in the shape of Prometheus's GET /api/v1/targets response.
const (
	targetsUp = `{"status":"success","data":{"activeTargets":[
  {"labels":{"job":"prometheus","instance":"localhost:9090"},"scrapeUrl":"http://localhost:9090/metrics","lastError":"","health":"up"},
  {"labels":{"job":"mlops-api","instance":"api:8080"},"scrapeUrl":"http://api:8080/metrics","lastError":"","health":"up"}],
  "droppedTargets":[]}}`
	targetsDown = `{"status":"success","data":{"activeTargets":[
  {"labels":{"job":"prometheus"},"scrapeUrl":"http://localhost:9090/metrics","lastError":"","health":"up"},
  {"labels":{"job":"traefik"},"scrapeUrl":"http://traefik:8082/metrics","lastError":"dial tcp: lookup traefik: no such host","health":"down"}],
  "droppedTargets":[]}}`
	targetsUnknown = `{"status":"success","data":{"activeTargets":[
  {"labels":{"job":"mlops-api"},"scrapeUrl":"http://api:8080/metrics","lastError":"","health":"unknown"}],"droppedTargets":[]}}`
	targetsNone  = `{"status":"success","data":{"activeTargets":[],"droppedTargets":[]}}`
	targetsError = `{"status":"error","errorType":"bad_data","error":"invalid state"}`
)

func TestPrometheusTargets(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   Status
		detail string
		fix    string
	}{
		{"all up", 200, targetsUp, StatusPass, "all 2 targets up: prometheus, mlops-api", ""},
		{"one down", 200, targetsDown, StatusFail,
			"traefik http://traefik:8082/metrics is down: dial tcp: lookup traefik: no such host", "remove its job"},
		{"not scraped yet", 200, targetsUnknown, StatusWarn, "mlops-api http://api:8080/metrics not scraped yet",
			"scrape_interval"},
		{"no targets", 200, targetsNone, StatusWarn, "no active scrape targets", "scrape_configs"},
		{"api error", 400, targetsError, StatusFail, "returned 400 Bad Request: invalid state", "mlops logs prometheus"},
		{"not prometheus", 404, "404 page not found", StatusFail, "not the Prometheus API's JSON", "port 9090"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/api/v1/targets" || r.URL.Query().Get("state") != "active" {
					t.Errorf("request %s, want /api/v1/targets?state=active", r.URL)
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			r := prometheusTargets(context.Background(), srv.URL)
			r.Name = "prometheus targets"
			want(t, r, tt.want, tt.detail, tt.fix)
		})
	}

	closed := "http://" + closedAddr(t)
	want(t, prometheusTargets(context.Background(), closed), StatusFail, "connection refused", "mlops logs")
}
