package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/engine"
	"github.com/mlops-dev/mlops/pkg/engine/enginetest"
	"github.com/mlops-dev/mlops/pkg/stack"
)

// commandTimeout bounds one run of the mlops binary.
const commandTimeout = 2 * time.Minute

// fixture is a project directory, the mlops binary that runs it and the
// engine it runs on.
type fixture struct {
	eng     *engine.Client
	bin     string
	dir     string
	project string
	// image is the api image that `mlops up` builds, mlops:VERSION.
	image string
}

// newFixture builds the mlops binary with a version unique to this test, so
// the api image that `mlops up` tags mlops:VERSION is the test's own, and
// assembles a Redis image from the host's redis-server. It registers
// cleanups that remove the project's containers, networks and volumes, then
// both images. Without an engine the test is skipped, or fails under
// MLOPS_REQUIRE_SERVICES=1.
func newFixture(tb testing.TB) (*fixture, string) {
	tb.Helper()
	eng := enginetest.Connect(tb)
	suffix := randomHex(tb)
	version := "e2e-" + suffix
	f := &fixture{
		eng:     eng,
		bin:     buildMLOps(tb, version),
		dir:     filepath.Join(tb.TempDir(), "project"),
		project: "mle2e" + suffix,
		image:   "mlops:" + version,
	}
	redisImage := "mlops-e2e-redis-" + suffix + ":test"
	enginetest.RedisImage(tb, eng, redisImage)
	// Cleanups run last-in first-out: the project goes before the images.
	tb.Cleanup(func() { removeImage(tb, eng, f.image) })
	tb.Cleanup(func() { f.removeProject(tb) })
	return f, redisImage
}

// buildMLOps compiles the repository's mlops command as a static binary,
// because `mlops up` copies its own executable into the FROM scratch api
// image.
func buildMLOps(tb testing.TB, version string) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("locate the e2e source: runtime.Caller failed")
	}
	root := filepath.Dir(filepath.Dir(file))
	out := filepath.Join(tb.TempDir(), "mlops")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version="+version, "-o", out, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if output, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("build mlops: %v\n%s", err, output)
	}
	return out
}

func randomHex(tb testing.TB) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		tb.Fatalf("random name: %v", err)
	}
	return hex.EncodeToString(b)
}

// result is the outcome of one mlops run.
type result struct {
	args   []string
	code   int
	stdout string
	stderr string
}

// run runs the mlops binary in the project directory. Variables that point
// mlops at another API or token are dropped from the environment, so only
// the project's files and the given flags count.
func (f *fixture) run(tb testing.TB, args ...string) result {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, f.bin, args...)
	cmd.Dir = f.dir
	if args[0] == "init" {
		cmd.Dir = filepath.Dir(f.dir)
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MLOPS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	tb.Logf("mlops %s: %s", args[0], time.Since(start).Round(time.Millisecond))
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		r.code = exitErr.ExitCode()
	case err != nil:
		tb.Fatalf("run mlops %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// mustRun runs mlops and fails the test unless it exits 0.
func (f *fixture) mustRun(tb testing.TB, args ...string) result {
	tb.Helper()
	r := f.run(tb, args...)
	if r.code != 0 {
		tb.Fatalf("mlops %s exited %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

func (f *fixture) labels() map[string]string {
	return map[string]string{engine.LabelProject: f.project}
}

// containers returns the project's containers keyed by service.
func (f *fixture) containers(tb testing.TB) map[string]engine.Container {
	tb.Helper()
	list, err := f.eng.ListContainers(context.Background(), f.labels())
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]engine.Container{}
	for _, c := range list {
		out[c.Labels[engine.LabelService]] = c
	}
	return out
}

// containerIDs returns the project's container IDs keyed by service.
func (f *fixture) containerIDs(tb testing.TB) map[string]string {
	tb.Helper()
	out := map[string]string{}
	for service, c := range f.containers(tb) {
		out[service] = c.ID
	}
	return out
}

// apiURL returns the api's URL at its address on the project's frontend
// network. Only Traefik publishes ports, and the test leaves it out, so the
// container address is the way in from this machine.
func (f *fixture) apiURL(tb testing.TB) string {
	tb.Helper()
	api, ok := f.containers(tb)["api"]
	if !ok {
		tb.Fatal("the project has no api container")
	}
	addrs, err := f.eng.ContainerAddresses(context.Background(), api.ID)
	if err != nil {
		tb.Fatal(err)
	}
	ip := addrs[stack.ObjectName(f.project, "frontend")]
	if ip == "" {
		tb.Fatalf("api container %s has no address on the frontend network (addresses: %v)", api.Name, addrs)
	}
	return "http://" + ip + ":8080"
}

// removeProject removes whatever carries the project's label. `mlops down
// --volumes` does it when the run got that far; the sweep after it catches
// what a failed run left.
func (f *fixture) removeProject(tb testing.TB) {
	tb.Helper()
	if _, err := os.Stat(filepath.Join(f.dir, "mlops.yaml")); err == nil {
		if r := f.run(tb, "down", "--volumes"); r.code != 0 {
			tb.Errorf("cleanup: mlops down --volumes exited %d: %s", r.code, r.stderr)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	containers, err := f.eng.ListContainers(ctx, f.labels())
	if err != nil {
		tb.Errorf("cleanup: %v", err)
	}
	for _, c := range containers {
		if err := f.eng.RemoveContainer(ctx, c.ID); err != nil {
			tb.Errorf("cleanup: %v", err)
		}
	}

	networks, err := f.eng.ListNetworks(ctx, f.labels())
	if err != nil {
		tb.Errorf("cleanup: %v", err)
	}
	for _, n := range networks {
		if err := f.eng.RemoveNetwork(ctx, n.ID); err != nil {
			tb.Errorf("cleanup: %v", err)
		}
	}

	volumes, err := f.eng.ListVolumes(ctx, f.labels())
	if err != nil {
		tb.Errorf("cleanup: %v", err)
	}
	for _, v := range volumes {
		if err := f.eng.RemoveVolume(ctx, v.Name); err != nil {
			tb.Errorf("cleanup: %v", err)
		}
	}
}

// removeImage removes ref unless it was never built.
func removeImage(tb testing.TB, eng *engine.Client, ref string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := eng.RemoveImage(ctx, ref); err != nil && !errors.Is(err, engine.ErrNotFound) {
		tb.Errorf("cleanup: %v", err)
	}
}

// editFile replaces old with replacement in the project file name, and fails when
// old is not there, so a template change cannot make the edit a silent no-op.
func (f *fixture) editFile(tb testing.TB, name, old, replacement string) {
	tb.Helper()
	path := filepath.Join(f.dir, name)
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		tb.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(data, []byte(old), []byte(replacement), 1), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// sortedKeys returns the keys of m in order, for messages.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
