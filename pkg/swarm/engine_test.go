package swarm_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/engine"
	"github.com/mlops-dev/mlops/pkg/engine/enginetest"
	"github.com/mlops-dev/mlops/pkg/server"
	"github.com/mlops-dev/mlops/pkg/stack"
	"github.com/mlops-dev/mlops/pkg/swarm"
)

// swarmCompose is the test's stack: the real inference server with the
// Redis limiter, three replicas behind the routing mesh, and Redis on an
// internal, encrypted overlay network. Secrets arrive as env values and
// a --requirepass argument, which the plan must move into Docker secrets.
const swarmCompose = `services:
  api:
    image: ${API_IMAGE}
    command: ["serve"]
    user: "65532:65532"
    read_only: true
    cap_drop: [ALL]
    environment:
      MLOPS_AUTH_SECRET: ${AUTH_SECRET}
      MLOPS_REDIS_PASSWORD: ${REDIS_PASSWORD}
      REDIS_ADDR: redis:6379
      MODELS_DIR: /project/models
      MODEL: ${MODEL}
      PUBLIC_KEY: /project/keys/signing.pub
      PREDICT_PER_MINUTE: "${PER_MINUTE}"
    volumes:
      - ./models:/project/models:ro
      - ./keys/signing.pub:/project/keys/signing.pub:ro
    healthcheck:
      test: ["CMD", "/mlops", "health"]
      interval: 1s
      timeout: 2s
      retries: 2
      start_period: 3s
    stop_grace_period: 5s
    mem_limit: 128m
    deploy:
      update_config:
        monitor: 4s
    networks: [frontend, backend]
    ports: ["${API_PORT}:8080"]
    depends_on: [redis]
  redis:
    image: ${REDIS_IMAGE}
    command: ["/usr/bin/redis-server", "--requirepass", "${REDIS_PASSWORD}", "--port", "6379", "--dir", "/data"]
    user: "999:999"
    read_only: true
    healthcheck:
      test: ["CMD", "/usr/bin/redis-cli", "ping"]
      interval: 1s
      timeout: 2s
      retries: 5
    networks: [backend]
    volumes: [redis-data:/data]
networks:
  frontend: {}
  backend:
    internal: true
volumes:
  redis-data: {}
`

// perMinute is the per-user predict limit of the test's stack.
const perMinute = 20

type swarmFixture struct {
	t       *testing.T
	c       *engine.Client
	sw      *swarm.Swarm
	dir     string
	project string
	vars    map[string]string
	store   *modelStore
	issuer  *auth.Issuer
	url     string
}

func newSwarmFixture(t *testing.T) *swarmFixture {
	c := swarmManager(t)
	api, redis := images(t, c)
	f := &swarmFixture{t: t, c: c, dir: t.TempDir(), sw: swarm.New(c, nil)}
	f.project = "mlsw" + strings.ToLower(enginetest.UniqueTag(t, "x")[2:10])
	t.Cleanup(func() { f.down() })
	f.store = newModelStore(t, f.dir)
	f.store.publish(t, 1)

	port := freePort(t)
	f.url = fmt.Sprintf("http://127.0.0.1:%d", port)
	secret := randomSecret(t)
	f.vars = map[string]string{
		"API_IMAGE": api, "REDIS_IMAGE": redis, "AUTH_SECRET": secret,
		"REDIS_PASSWORD": randomSecret(t), "MODEL": "iris:v1", "API_PORT": fmt.Sprint(port),
		"PER_MINUTE": fmt.Sprint(perMinute),
	}
	writeFile(t, filepath.Join(f.dir, "docker-compose.yml"), swarmCompose)
	var err error
	f.issuer, err = auth.NewIssuer(auth.Config{
		Algorithm: auth.AlgHS256, Issuer: "mlops", Audience: "mlops-api",
		Keys: []auth.Key{{Secret: []byte(secret)}},
	})
	if err != nil {
		t.Fatalf("NewIssuer: %v", err)
	}
	return f
}

func (f *swarmFixture) plan() *swarm.Plan {
	f.t.Helper()
	writeFile(f.t, filepath.Join(f.dir, ".env"), envFile(f.vars))
	p, err := stack.Load(context.Background(), stack.LoadOptions{Dir: f.dir, Name: f.project})
	if err != nil {
		f.t.Fatalf("Load: %v", err)
	}
	plan, err := swarm.NewPlan(p, swarm.PlanOptions{
		Labels: enginetest.Labels(), Replicas: map[string]uint64{"api": 3},
	})
	if err != nil {
		f.t.Fatalf("NewPlan: %v", err)
	}
	return plan
}

func (f *swarmFixture) deploy() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return f.sw.Deploy(ctx, f.plan(), swarm.DeployOptions{WaitTimeout: 90 * time.Second})
}

func (f *swarmFixture) down() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := f.sw.Down(ctx, f.project, swarm.DownOptions{Volumes: true, Labels: enginetest.Labels()})
	if err != nil {
		f.t.Errorf("Down: %v", err)
	}
}

func (f *swarmFixture) token(subject string) string {
	tok, _, err := f.issuer.Issue(subject, []string{auth.RolePredict}, time.Hour)
	if err != nil {
		f.t.Fatalf("Issue: %v", err)
	}
	return tok
}

// client opens a new connection per request, so the routing mesh spreads
// requests over the replicas.
var client = &http.Client{
	Timeout:   5 * time.Second,
	Transport: &http.Transport{DisableKeepAlives: true},
}

// predict sends one prediction and returns the status and the replica that
// served it. A connection-level failure wraps errRetryable.
func (f *swarmFixture) predict(tok string) (int, string, error) {
	req, err := http.NewRequest("POST", f.url+"/predict", strings.NewReader(`{"features":[5.1,3.5,1.4,0.2]}`))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("%w: %v", errRetryable, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get(server.HeaderServedBy), nil
}

// load sends predictions from 4 workers, each as a new user so the rate
// limit never applies, until stop is closed.
type load struct {
	sent, failed, retried atomic.Int64
	mu                    sync.Mutex
	errs                  []string
	wg                    sync.WaitGroup
	stop                  chan struct{}
}

func (f *swarmFixture) startLoad() *load {
	l := &load{stop: make(chan struct{})}
	for w := range 4 {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				l.one(f, f.token(fmt.Sprintf("load-%d-%d", w, i)))
			}
		}()
	}
	return l
}

// one sends a prediction and retries it once on a connection failure,
// counting that retry. Any other failure counts as failed.
func (l *load) one(f *swarmFixture, tok string) {
	l.sent.Add(1)
	status, _, err := f.predict(tok)
	if errors.Is(err, errRetryable) {
		l.retried.Add(1)
		status, _, err = f.predict(tok)
	}
	if err != nil || status != http.StatusOK {
		l.failed.Add(1)
		l.mu.Lock()
		l.errs = append(l.errs, fmt.Sprintf("status %d, error %v", status, err))
		l.mu.Unlock()
	}
}

func (l *load) finish() {
	close(l.stop)
	l.wg.Wait()
}

func (l *load) check(t *testing.T, phase string) {
	t.Helper()
	t.Logf("%s: %d requests, %d connection failures retried once, %d failed",
		phase, l.sent.Load(), l.retried.Load(), l.failed.Load())
	if l.sent.Load() < 20 {
		t.Errorf("%s: only %d requests sent; the load did not run", phase, l.sent.Load())
	}
	if n := l.failed.Load(); n != 0 {
		t.Errorf("%s: %d requests failed, first: %s", phase, n, l.errs[0])
	}
}

func (f *swarmFixture) running(service string) (uint64, uint64) {
	f.t.Helper()
	st, err := f.sw.Status(context.Background(), f.project)
	if err != nil {
		f.t.Fatalf("Status: %v", err)
	}
	for _, s := range st {
		if s.Service == service {
			return s.Running, s.Desired
		}
	}
	f.t.Fatalf("Status has no service %s: %+v", service, st)
	return 0, 0
}

func TestSwarmStack(t *testing.T) {
	f := newSwarmFixture(t)
	start := time.Now()
	if err := f.deploy(); err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	t.Logf("first deploy converged in %s", time.Since(start).Round(time.Millisecond))
	if running, desired := f.running("api"); running != 3 || desired != 3 {
		t.Fatalf("api running %d of %d tasks, want 3 of 3", running, desired)
	}
	checkStatus(t, f)
	waitServing(t, f)

	t.Run("spread over replicas", func(t *testing.T) { testSpread(t, f) })
	t.Run("limit holds across replicas", func(t *testing.T) { testLimit(t, f) })
	t.Run("stopped replica", func(t *testing.T) { testStopReplica(t, f) })
	t.Run("rolling model update", func(t *testing.T) { testRollingUpdate(t, f) })
	t.Run("broken model rolls back", func(t *testing.T) { testRollback(t, f) })
}

// waitServing waits until the routing mesh forwards the published port.
func waitServing(t *testing.T, f *swarmFixture) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, _, err := f.predict(f.token("probe"))
		if err == nil && status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) && !ipvsAvailable() {
			enginetest.SkipOrFail(t, fmt.Sprintf("the swarm routing mesh does not forward %s (%v): "+
				"this kernel has no IPVS (%s is missing), which ingress ports and service VIPs need",
				f.url, err, ipvsSysctl))
		}
		if time.Now().After(deadline) {
			t.Fatalf("api not reachable through the routing mesh at %s: status %d, %v", f.url, status, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func testSpread(t *testing.T, f *swarmFixture) {
	seen := map[string]int{}
	for i := range 30 {
		status, by, err := f.predict(f.token(fmt.Sprintf("spread-%d", i)))
		if err != nil || status != http.StatusOK {
			t.Fatalf("predict %d: status %d, %v", i, status, err)
		}
		seen[by]++
	}
	t.Logf("30 requests served by %v", seen)
	if len(seen) < 2 {
		t.Errorf("30 requests served by %d replica(s) %v, want more than one", len(seen), seen)
	}
}

func testLimit(t *testing.T, f *swarmFixture) {
	tok := f.token("limited-user")
	allowed, limited := 0, 0
	seen := map[string]bool{}
	for i := range 3 * perMinute {
		status, by, err := f.predict(tok)
		if err != nil {
			t.Fatalf("predict %d: %v", i, err)
		}
		seen[by] = true
		switch status {
		case http.StatusOK:
			allowed++
		case http.StatusTooManyRequests:
			limited++
		default:
			t.Fatalf("predict %d: status %d", i, status)
		}
	}
	t.Logf("%d requests of one user over %d replicas: %d allowed, %d limited",
		3*perMinute, len(seen), allowed, limited)
	if len(seen) < 2 {
		t.Errorf("requests reached %d replica(s), want more than one for the test to mean anything", len(seen))
	}
	if allowed != perMinute {
		t.Errorf("allowed %d requests, want exactly %d (the per-minute limit)", allowed, perMinute)
	}
}

func testStopReplica(t *testing.T, f *swarmFixture) {
	ctx := context.Background()
	containers, err := f.c.ListContainers(ctx, map[string]string{
		engine.LabelProject: f.project, engine.LabelService: "api",
	})
	if err != nil || len(containers) == 0 {
		t.Fatalf("list api containers: %d found, %v", len(containers), err)
	}
	l := f.startLoad()
	time.Sleep(time.Second)
	if err := f.c.StopContainer(ctx, containers[0].ID, 5*time.Second); err != nil {
		t.Fatalf("StopContainer: %v", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		running, _ := f.running("api")
		if running == 3 && !containerRunning(t, f, containers[0].ID) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("api did not return to 3 running tasks within 60s (running %d)", running)
		}
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(time.Second)
	l.finish()
	l.check(t, "stop one replica")
}

func containerRunning(t *testing.T, f *swarmFixture, id string) bool {
	st, err := f.c.InspectContainer(context.Background(), id)
	if err != nil {
		return false
	}
	return st.Running
}

func testRollingUpdate(t *testing.T, f *swarmFixture) {
	v := f.store.publish(t, 2)
	f.vars["MODEL"] = fmt.Sprintf("iris:v%d", v)
	l := f.startLoad()
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	if err := f.deploy(); err != nil {
		l.finish()
		t.Fatalf("Deploy of model v%d: %v", v, err)
	}
	t.Logf("rolling update to v%d took %s", v, time.Since(start).Round(time.Millisecond))
	l.finish()
	l.check(t, "rolling update")
	if running, desired := f.running("api"); running != 3 || desired != 3 {
		t.Errorf("after the update api runs %d of %d tasks, want 3 of 3", running, desired)
	}
}

func testRollback(t *testing.T, f *swarmFixture) {
	good := f.vars["MODEL"]
	v := f.store.publish(t, 3)
	f.store.corrupt(t, v)
	f.vars["MODEL"] = fmt.Sprintf("iris:v%d", v)
	l := f.startLoad()
	err := f.deploy()
	l.finish()
	if !errors.Is(err, swarm.ErrRolledBack) {
		t.Fatalf("Deploy of corrupt model v%d: error %v, want one wrapping ErrRolledBack", v, err)
	}
	t.Logf("deploy of a corrupt model: %v", err)
	l.check(t, "rollback")
	svc, err := f.c.InspectService(context.Background(), swarm.ServiceName(f.project, "api"))
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Join(svc.Spec.TaskTemplate.ContainerSpec.Env, " ")
	if !strings.Contains(env, "MODEL="+good) {
		t.Errorf("after rollback the api spec has env %q, want MODEL=%s", env, good)
	}
	if _, ok := lookupHost(t, f); !ok {
		t.Errorf("api not answering after rollback")
	}
}

func lookupHost(t *testing.T, f *swarmFixture) (string, bool) {
	status, by, err := f.predict(f.token("after-rollback"))
	return by, err == nil && status == http.StatusOK
}

// ipvsSysctl exists when the kernel has IPVS, the load balancer behind
// swarm's routing mesh and virtual IPs.
const ipvsSysctl = "/proc/sys/net/ipv4/vs"

func ipvsAvailable() bool {
	_, err := os.Stat(ipvsSysctl)
	return err == nil
}

// checkStatus checks what the first deploy created: services with their
// replica counts, and secrets in place of the secret values.
func checkStatus(t *testing.T, f *swarmFixture) {
	t.Helper()
	ctx := context.Background()
	if running, desired := f.running("redis"); running != 1 || desired != 1 {
		t.Errorf("redis runs %d of %d tasks, want 1 of 1", running, desired)
	}
	svc, err := f.c.InspectService(ctx, swarm.ServiceName(f.project, "api"))
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Join(svc.Spec.TaskTemplate.ContainerSpec.Env, " ")
	for _, value := range []string{f.vars["AUTH_SECRET"], f.vars["REDIS_PASSWORD"]} {
		if strings.Contains(env, value) {
			t.Errorf("api spec env contains a secret value: %s", env)
		}
	}
	redis, err := f.c.InspectService(ctx, swarm.ServiceName(f.project, "redis"))
	if err != nil {
		t.Fatal(err)
	}
	if args := strings.Join(redis.Spec.TaskTemplate.ContainerSpec.Args, " "); strings.Contains(args, f.vars["REDIS_PASSWORD"]) {
		t.Errorf("redis spec args contain the password: %s", args)
	}
	secrets, err := f.c.ListSecrets(ctx, map[string]string{engine.LabelProject: f.project})
	if err != nil {
		t.Fatal(err)
	}
	if len(secrets) != 3 {
		t.Errorf("project has %d secrets, want 3 (auth secret, Redis password, redis.conf): %v", len(secrets), secrets)
	}
}
