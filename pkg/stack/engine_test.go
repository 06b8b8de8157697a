package stack_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/engine"
	"github.com/mlops-dev/mlops/pkg/engine/enginetest"
	"github.com/mlops-dev/mlops/pkg/imagebuild"
	"github.com/mlops-dev/mlops/pkg/stack"
)

// composeFile is a two-service stack shaped like the one mlops init writes:
// an api running the test server from a FROM scratch image, with a health
// check that execs the binary, and Redis on an internal network. The api's
// health check also proves its wiring: Redis reachable under its service
// name, the bind mount present, the hostname set and /tmp writable on a
// read-only root.
const composeFile = `services:
  api:
    image: ${API_IMAGE}
    command: ["serve"]
    read_only: true
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true"]
    hostname: api-host
    working_dir: /config
    environment:
      HEALTH_FAIL: "${HEALTH_FAIL:-0}"
      REDIS_ADDR: redis:6379
      REQUIRE_FILE: /config/settings.txt
      EXPECT_HOSTNAME: api-host
      WRITE_DIR: /tmp
    volumes:
      - ./config:/config:ro
    tmpfs: ["/tmp"]
    healthcheck:
      test: ["CMD", "/mlops", "health"]
      interval: 500ms
      timeout: 2s
      retries: 2
      start_period: 1s
    restart: unless-stopped
    mem_limit: ${API_MEMORY:-64m}
    pids_limit: 64
    networks: [frontend, backend]
    ports: ["127.0.0.1:${API_PORT}:8080"]
    depends_on:
      redis:
        condition: service_healthy
  redis:
    image: ${REDIS_IMAGE}
    command: ["/usr/bin/redis-server", "--port", "6379", "--requirepass", "${REDIS_PASSWORD}", "--dir", "/data"]
    user: "999:999"
    read_only: true
    cap_drop: [ALL]
    healthcheck:
      test: ["CMD", "/usr/bin/redis-cli", "-a", "${REDIS_PASSWORD}", "--no-auth-warning", "ping"]
      interval: 500ms
      timeout: 2s
      retries: 5
    restart: unless-stopped
    networks: [backend]
    volumes: [redis-data:/data]
networks:
  frontend: {}
  backend:
    internal: true
volumes:
  redis-data: {}
`

// images are built once per test binary run and shared by the tests.
type images struct {
	api, redis string
}

var (
	imagesOnce sync.Once
	imagesErr  error
	shared     images
)

// fixture connects to the engine and builds the test images.
func fixture(t testing.TB) (*engine.Client, images) {
	t.Helper()
	c := enginetest.Connect(t)
	imagesOnce.Do(func() {
		shared = images{api: enginetest.UniqueTag(t, "mlops-test-api"), redis: enginetest.UniqueTag(t, "mlops-test-redis")}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		binary := enginetest.BuildTestApp(t)
		if _, err := imagebuild.Ensure(ctx, c, imagebuild.Options{Binary: binary, Tag: shared.api}, nil); err != nil {
			imagesErr = err
			return
		}
		imagesErr = enginetest.ImportRedisImage(ctx, c, shared.redis)
	})
	if errors.Is(imagesErr, enginetest.ErrMissingTool) {
		enginetest.SkipOrFail(t, imagesErr.Error())
	}
	if imagesErr != nil {
		t.Fatalf("build test images: %v", imagesErr)
	}
	return c, shared
}

// TestMain removes the shared images after all tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if shared.api != "" {
		if c, err := engine.New(context.Background()); err == nil {
			for _, ref := range []string{shared.api, shared.redis} {
				if err := c.RemoveImage(context.Background(), ref); err != nil && !errors.Is(err, engine.ErrNotFound) {
					fmt.Fprintln(os.Stderr, "cleanup:", err)
				}
			}
			c.Close()
		}
	}
	os.Exit(code)
}

// projectDir writes the compose file and a .env with vars into a temporary
// directory.
func projectDir(t testing.TB, imgs images, vars map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte(composeFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config", "settings.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeEnv(t, dir, imgs, vars)
	return dir
}

func writeEnv(t testing.TB, dir string, imgs images, vars map[string]string) {
	t.Helper()
	env := map[string]string{
		"API_IMAGE":      imgs.api,
		"REDIS_IMAGE":    imgs.redis,
		"REDIS_PASSWORD": "test-password-1234",
		"API_PORT":       "0",
	}
	for k, v := range vars {
		env[k] = v
	}
	var b strings.Builder
	for k, v := range env {
		fmt.Fprintf(&b, "%s=%s\n", k, v)
	}
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

func plan(t testing.TB, dir, project string) *stack.Plan {
	t.Helper()
	p, err := stack.Load(context.Background(), stack.LoadOptions{Dir: dir, Name: project})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	pl, err := stack.NewPlan(p, stack.PlanOptions{Labels: enginetest.Labels()})
	if err != nil {
		t.Fatalf("NewPlan: %v", err)
	}
	return pl
}

// recorder collects events.
type recorder struct {
	mu     sync.Mutex
	events []stack.Event
}

func (r *recorder) Report(e stack.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) actions(kind, object string) []stack.Action {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []stack.Action
	for _, e := range r.events {
		if e.Kind == kind && e.Object == object && e.Action != stack.ActionPulling {
			out = append(out, e.Action)
		}
	}
	return out
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

// containerIDs maps service to container ID for the project.
func containerIDs(t testing.TB, c *engine.Client, project string) map[string]string {
	t.Helper()
	list, err := c.ListContainers(context.Background(), map[string]string{engine.LabelProject: project})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, ct := range list {
		ids[ct.Labels[engine.LabelService]] = ct.ID
	}
	return ids
}

func contains(actions []stack.Action, a stack.Action) bool {
	for _, x := range actions {
		if x == a {
			return true
		}
	}
	return false
}

func TestUp_EndToEnd(t *testing.T) {
	c, imgs := fixture(t)
	project := enginetest.Project(t, c)
	port := freePort(t)
	dir := projectDir(t, imgs, map[string]string{"API_PORT": port})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rec := &recorder{}
	st := stack.New(c, rec)
	upOpts := stack.UpOptions{WaitTimeout: time.Minute}

	start := time.Now()
	if err := st.Up(ctx, plan(t, dir, project), upOpts); err != nil {
		t.Fatalf("first Up: %v", err)
	}
	t.Logf("first up to healthy: %v", time.Since(start))
	for _, svc := range []string{"api", "redis"} {
		if got := rec.actions("service", svc); !contains(got, stack.ActionCreated) || !contains(got, stack.ActionHealthy) {
			t.Errorf("first Up events for %s = %v, want created and healthy", svc, got)
		}
	}

	t.Run("status", func(t *testing.T) {
		rows, err := st.Status(ctx, project, plan(t, dir, project))
		if err != nil {
			t.Fatalf("Status: %v", err)
		}
		if len(rows) != 2 {
			t.Fatalf("Status returned %d rows, want 2: %+v", len(rows), rows)
		}
		for _, r := range rows {
			if r.State != "running" || r.Health != engine.HealthHealthy {
				t.Errorf("service %s: state %q health %q, want running and healthy", r.Service, r.State, r.Health)
			}
		}
		api := rows[0]
		if api.Service != "api" || api.Container != project+"-api-1" || api.Image != imgs.api {
			t.Errorf("api row = %+v, want container %s-api-1 and image %s", api, project, imgs.api)
		}
		wantPort := "127.0.0.1:" + port + "->8080/tcp"
		if len(api.Ports) != 1 || api.Ports[0] != wantPort {
			t.Errorf("api ports = %v, want [%s]", api.Ports, wantPort)
		}
		if len(rows[1].Ports) != 0 {
			t.Errorf("redis publishes %v, want no ports", rows[1].Ports)
		}
	})

	t.Run("published port answers", func(t *testing.T) {
		resp, err := http.Get("http://127.0.0.1:" + port + "/healthz")
		if err != nil {
			t.Fatalf("GET /healthz through the published port: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /healthz = %d, want 200", resp.StatusCode)
		}
	})

	t.Run("second up changes nothing", func(t *testing.T) {
		before := containerIDs(t, c, project)
		rec2 := &recorder{}
		start := time.Now()
		if err := stack.New(c, rec2).Up(ctx, plan(t, dir, project), upOpts); err != nil {
			t.Fatalf("second Up: %v", err)
		}
		t.Logf("no-change up: %v", time.Since(start))
		for _, svc := range []string{"api", "redis"} {
			got := rec2.actions("service", svc)
			if !contains(got, stack.ActionUnchanged) || contains(got, stack.ActionCreated) || contains(got, stack.ActionStarting) {
				t.Errorf("second Up events for %s = %v, want unchanged only", svc, got)
			}
		}
		if after := containerIDs(t, c, project); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("container IDs changed from %v to %v", before, after)
		}
	})

	t.Run("logs prefixed by service", func(t *testing.T) {
		var out strings.Builder
		if err := st.Logs(ctx, project, stack.LogsOptions{Tail: -1}, &out); err != nil {
			t.Fatalf("Logs: %v", err)
		}
		for _, want := range []string{"api   | testapp listening on :8080", "api   | testapp stderr line", "redis | "} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("logs do not contain %q:\n%s", want, out.String())
			}
		}
		out.Reset()
		if err := st.Logs(ctx, project, stack.LogsOptions{Services: []string{"api"}, Tail: 1}, &out); err != nil {
			t.Fatalf("Logs api: %v", err)
		}
		if lines := strings.Count(out.String(), "\n"); lines != 1 || strings.Contains(out.String(), "redis |") {
			t.Errorf("Logs(api, tail 1) = %q, want one api line", out.String())
		}
	})

	t.Run("logs follow until cancelled", func(t *testing.T) {
		followCtx, stop := context.WithCancel(ctx)
		out := &syncBuffer{}
		done := make(chan error, 1)
		go func() {
			done <- st.Logs(followCtx, project, stack.LogsOptions{Services: []string{"api"}, Follow: true, Tail: 0}, out)
		}()

		// Give the follower time to attach, then make the api print a line.
		time.Sleep(500 * time.Millisecond)
		resp, err := http.Post("http://127.0.0.1:"+port+"/log?line=followed-line", "text/plain", nil)
		if err != nil {
			t.Fatalf("POST /log: %v", err)
		}
		resp.Body.Close()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(out.String(), "api | followed-line") && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Logs with follow returned %v after cancel, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Logs with follow did not return within 10s of cancel")
		}
		if !strings.Contains(out.String(), "api | followed-line") {
			t.Errorf("followed logs %q lack the line printed while following", out.String())
		}
		if strings.Contains(out.String(), "testapp listening") {
			t.Errorf("followed logs with tail 0 %q contain lines from before", out.String())
		}
	})

	t.Run("stopped container is started again", func(t *testing.T) {
		before := containerIDs(t, c, project)
		if err := c.StopContainer(ctx, before["redis"], 5*time.Second); err != nil {
			t.Fatal(err)
		}
		rec3 := &recorder{}
		if err := stack.New(c, rec3).Up(ctx, plan(t, dir, project), upOpts); err != nil {
			t.Fatalf("Up after stopping redis: %v", err)
		}
		if got := rec3.actions("service", "redis"); !contains(got, stack.ActionStarted) || contains(got, stack.ActionCreated) {
			t.Errorf("redis events = %v, want started without create", got)
		}
		if after := containerIDs(t, c, project); after["redis"] != before["redis"] {
			t.Errorf("redis container replaced (%s -> %s), want the stopped one started", before["redis"], after["redis"])
		}
		// Health from before the restart must not count: the container's
		// newest health result now postdates its start.
		state, err := c.InspectContainer(ctx, before["redis"])
		if err != nil {
			t.Fatal(err)
		}
		last := state.HealthLog[len(state.HealthLog)-1]
		if last.Start.Before(state.StartedAt) || state.Health != engine.HealthHealthy {
			t.Errorf("redis health %q, last check at %v, started at %v; want a healthy check after the start",
				state.Health, last.Start, state.StartedAt)
		}
	})

	t.Run("changed service is recreated alone", func(t *testing.T) {
		before := containerIDs(t, c, project)
		writeEnv(t, dir, imgs, map[string]string{"API_PORT": port, "API_MEMORY": "96m"})
		if err := st.Up(ctx, plan(t, dir, project), upOpts); err != nil {
			t.Fatalf("Up after changing api: %v", err)
		}
		after := containerIDs(t, c, project)
		if after["api"] == before["api"] {
			t.Errorf("api container kept after its memory limit changed")
		}
		if after["redis"] != before["redis"] {
			t.Errorf("redis container recreated, but only api changed")
		}
	})

	t.Run("unhealthy service fails with its output", func(t *testing.T) {
		writeEnv(t, dir, imgs, map[string]string{"API_PORT": port, "API_MEMORY": "96m", "HEALTH_FAIL": "1"})
		err := st.Up(ctx, plan(t, dir, project), stack.UpOptions{WaitTimeout: 30 * time.Second})
		t.Log(err)
		var unhealthy *stack.UnhealthyError
		if !errors.As(err, &unhealthy) {
			t.Fatalf("Up with a failing health check: error = %v, want *UnhealthyError", err)
		}
		if unhealthy.Service != "api" {
			t.Errorf("unhealthy service = %q, want api", unhealthy.Service)
		}
		if !strings.Contains(unhealthy.HealthOutput, "503") {
			t.Errorf("health output %q does not show the 503", unhealthy.HealthOutput)
		}
		if !strings.Contains(strings.Join(unhealthy.Logs, "\n"), "testapp listening") {
			t.Errorf("log lines %q do not include the server's output", unhealthy.Logs)
		}

		writeEnv(t, dir, imgs, map[string]string{"API_PORT": port})
		if err := st.Up(ctx, plan(t, dir, project), upOpts); err != nil {
			t.Fatalf("Up after fixing api: %v", err)
		}
	})

	t.Run("restart waits for health", func(t *testing.T) {
		before := containerIDs(t, c, project)
		old, err := c.InspectContainer(ctx, before["api"])
		if err != nil {
			t.Fatal(err)
		}
		restartOpts := stack.RestartOptions{Services: []string{"api"}, WaitTimeout: time.Minute}
		if err := st.Restart(ctx, plan(t, dir, project), restartOpts); err != nil {
			t.Fatalf("Restart: %v", err)
		}
		now, err := c.InspectContainer(ctx, before["api"])
		if err != nil {
			t.Fatal(err)
		}
		if !now.StartedAt.After(old.StartedAt) || now.Health != engine.HealthHealthy {
			t.Errorf("api after restart: started %v (before %v), health %q; want a later start and healthy",
				now.StartedAt, old.StartedAt, now.Health)
		}
	})

	t.Run("down keeps volumes", func(t *testing.T) {
		if err := st.Down(ctx, project, stack.DownOptions{}); err != nil {
			t.Fatalf("Down: %v", err)
		}
		labels := map[string]string{engine.LabelProject: project}
		if list, _ := c.ListContainers(ctx, labels); len(list) != 0 {
			t.Errorf("containers left after Down: %v", list)
		}
		if list, _ := c.ListNetworks(ctx, labels); len(list) != 0 {
			t.Errorf("networks left after Down: %v", list)
		}
		if list, _ := c.ListVolumes(ctx, labels); len(list) != 1 || list[0].Name != project+"_redis-data" {
			t.Errorf("volumes after Down = %v, want %s_redis-data kept", list, project)
		}
		if err := st.Down(ctx, project, stack.DownOptions{Volumes: true}); err != nil {
			t.Fatalf("Down with volumes: %v", err)
		}
		if list, _ := c.ListVolumes(ctx, labels); len(list) != 0 {
			t.Errorf("volumes left after Down with volumes: %v", list)
		}
	})
}

func TestUp_ForeignContainerHoldsName(t *testing.T) {
	c, imgs := fixture(t)
	project := enginetest.Project(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// The foreign container carries only the test label, not mlops's
	// project label, so mlops must treat it as someone else's.
	name := project + "-redis-1"
	id, err := c.CreateContainer(ctx, engine.ContainerSpec{Name: name, Image: imgs.redis, Labels: enginetest.Labels()})
	if err != nil {
		t.Fatalf("create foreign container: %v", err)
	}
	t.Cleanup(func() {
		if err := c.RemoveContainer(context.Background(), id); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})

	dir := projectDir(t, imgs, map[string]string{"API_PORT": freePort(t)})
	err = stack.New(c, nil).Up(ctx, plan(t, dir, project), stack.UpOptions{WaitTimeout: 30 * time.Second})
	if err == nil {
		t.Fatalf("Up succeeded while a foreign container holds %s", name)
	}
	t.Log(err)
	if !errors.Is(err, stack.ErrNotOwned) {
		t.Errorf("Up error does not wrap ErrNotOwned")
	}
	if !strings.Contains(err.Error(), name) || strings.Contains(err.Error(), "\n") {
		t.Errorf("Up error %q, want one line naming %s", err, name)
	}
	foreignAfter, err := c.FindContainer(ctx, name)
	if err != nil || foreignAfter.ID != id || foreignAfter.State != "created" {
		t.Errorf("foreign container after Up: %+v, %v; want it untouched", foreignAfter, err)
	}
	labels := map[string]string{engine.LabelProject: project}
	if list, _ := c.ListNetworks(ctx, labels); len(list) != 0 {
		t.Errorf("Up created networks %v despite the conflict", list)
	}
	if list, _ := c.ListContainers(ctx, labels); len(list) != 0 {
		t.Errorf("Up created containers %v despite the conflict", list)
	}
}

func TestUp_MissingImage(t *testing.T) {
	c, imgs := fixture(t)
	project := enginetest.Project(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// A registry address on loopback with nothing listening keeps the
	// engine's pull attempt on this machine.
	missing := "127.0.0.1:1/mlops-test-missing-" + project + ":0"
	dir := projectDir(t, images{api: imgs.api, redis: missing}, map[string]string{"API_PORT": freePort(t)})
	rec := &recorder{}
	err := stack.New(c, rec).Up(ctx, plan(t, dir, project), stack.UpOptions{WaitTimeout: 30 * time.Second})
	if err == nil {
		t.Fatalf("Up succeeded with image %s missing", missing)
	}
	msg := err.Error()
	t.Log(msg)
	if !errors.Is(err, stack.ErrImageUnavailable) {
		t.Errorf("Up error does not wrap ErrImageUnavailable")
	}
	if strings.Contains(msg, "\n") || !strings.Contains(msg, missing) || !strings.Contains(msg, "--skip redis") {
		t.Errorf("Up error %q, want one line naming %s and --skip redis", msg, missing)
	}
	if got := rec.actions("image", missing); !contains(got, stack.ActionFailed) {
		t.Errorf("image events = %v, want a failed pull", got)
	}
	labels := map[string]string{engine.LabelProject: project}
	if list, _ := c.ListContainers(ctx, labels); len(list) != 0 {
		t.Errorf("Up created containers %v with an image missing", list)
	}
	if list, _ := c.ListNetworks(ctx, labels); len(list) != 0 {
		t.Errorf("Up created networks %v with an image missing", list)
	}
	if list, _ := c.ListVolumes(ctx, labels); len(list) != 0 {
		t.Errorf("Up created volumes %v with an image missing", list)
	}
}

func TestUp_PortInUse(t *testing.T) {
	c, imgs := fixture(t)
	project := enginetest.Project(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := fmt.Sprint(l.Addr().(*net.TCPAddr).Port)

	dir := projectDir(t, imgs, map[string]string{"API_PORT": port})
	err = stack.New(c, nil).Up(ctx, plan(t, dir, project), stack.UpOptions{WaitTimeout: 30 * time.Second})
	if err == nil {
		t.Fatalf("Up succeeded with host port %s taken", port)
	}
	msg := err.Error()
	t.Log(msg)
	if !errors.Is(err, engine.ErrPortInUse) {
		t.Errorf("Up error does not wrap engine.ErrPortInUse")
	}
	if !strings.Contains(msg, port) || !strings.Contains(msg, "service api") || strings.Contains(msg, "\n") {
		t.Errorf("Up error %q, want one line naming port %s and service api", msg, port)
	}
}

func TestUp_Interrupted(t *testing.T) {
	c, imgs := fixture(t)
	project := enginetest.Project(t, c)
	dir := projectDir(t, imgs, map[string]string{"API_PORT": freePort(t)})

	// Cancel as soon as the first container exists, mid-way through Up.
	ctx, cancel := context.WithCancel(context.Background())
	rec := stack.ReporterFunc(func(e stack.Event) {
		if e.Action == stack.ActionCreated && e.Kind == "service" {
			cancel()
		}
	})
	err := stack.New(c, rec).Up(ctx, plan(t, dir, project), stack.UpOptions{WaitTimeout: 30 * time.Second})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted Up: error = %v, want context.Canceled", err)
	}

	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Minute)
	defer cancel2()
	if err := stack.New(c, nil).Up(ctx2, plan(t, dir, project), stack.UpOptions{WaitTimeout: 30 * time.Second}); err != nil {
		t.Fatalf("Up after an interrupted Up: %v", err)
	}
	rows, err := stack.New(c, nil).Status(ctx2, project, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.State != "running" || r.Health != engine.HealthHealthy {
			t.Errorf("service %s after converging: %s/%s, want running/healthy", r.Service, r.State, r.Health)
		}
	}
	if len(rows) != 2 {
		t.Errorf("Status rows = %+v, want api and redis", rows)
	}
}

func TestUp_NetworkInternalMismatch(t *testing.T) {
	c, imgs := fixture(t)
	project := enginetest.Project(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	labels := enginetest.Labels()
	labels[engine.LabelProject] = project
	name := project + "_backend"
	if _, err := c.CreateNetwork(ctx, engine.NetworkSpec{Name: name, Labels: labels}); err != nil {
		t.Fatalf("CreateNetwork: %v", err)
	}

	dir := projectDir(t, imgs, map[string]string{"API_PORT": freePort(t)})
	err := stack.New(c, nil).Up(ctx, plan(t, dir, project), stack.UpOptions{WaitTimeout: 30 * time.Second})
	if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "internal=true") {
		t.Fatalf("Up with an external %s: error = %v, want one naming the network and internal=true", name, err)
	}
	if list, _ := c.ListContainers(ctx, map[string]string{engine.LabelProject: project}); len(list) != 0 {
		t.Errorf("Up created containers %v on a mismatched network", list)
	}
}

// syncBuffer is a strings.Builder safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
