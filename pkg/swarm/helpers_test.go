package swarm_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/dataset"
	"github.com/mlops-dev/mlops/pkg/engine"
	"github.com/mlops-dev/mlops/pkg/engine/enginetest"
	"github.com/mlops-dev/mlops/pkg/forest"
	"github.com/mlops-dev/mlops/pkg/imagebuild"
	"github.com/mlops-dev/mlops/pkg/model"
	"github.com/mlops-dev/mlops/pkg/registry"
)

// swarmManager returns a client of an engine that is a swarm manager. It
// reuses a swarm that exists, or initialises a single-node swarm on
// 127.0.0.1 and forces the engine out of it when the test ends.
func swarmManager(t *testing.T) *engine.Client {
	t.Helper()
	c := enginetest.Connect(t)
	ctx := context.Background()
	st, err := c.SwarmState(ctx)
	if err != nil {
		t.Fatalf("SwarmState: %v", err)
	}
	switch {
	case st.Active() && st.Manager:
		return c
	case st.Active():
		enginetest.SkipOrFail(t, "the engine is a swarm worker, and swarm tests need a manager")
	}
	if _, err := c.InitSwarm(ctx, "127.0.0.1"); err != nil {
		enginetest.SkipOrFail(t, fmt.Sprintf("cannot initialise a swarm on this engine: %v", err))
	}
	t.Cleanup(func() {
		if err := c.LeaveSwarm(context.Background(), true); err != nil {
			t.Errorf("leave the swarm the test initialised: %v", err)
		}
	})
	return c
}

// repoRoot returns the module root, whose main package is mlops.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("locate the swarm test source: runtime.Caller failed")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// buildStatic compiles the package pkg, relative to the module root, as a
// static Linux binary.
func buildStatic(t *testing.T, pkg, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if output, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, output)
	}
	return out
}

// testImages are the images the swarm test builds, all removed when the
// test ends.
type testImages struct {
	api, proxy, redis string
}

// images builds the mlops image from the repository's main package, the
// proxy image and the Redis image. imagebuild puts any static binary at
// /mlops as the entrypoint, so it builds the proxy image too.
func images(t *testing.T, c *engine.Client) testImages {
	t.Helper()
	im := testImages{
		api:   enginetest.UniqueTag(t, "mlops-swarm-api"),
		proxy: enginetest.UniqueTag(t, "mlops-swarm-proxy"),
		redis: enginetest.UniqueTag(t, "mlops-swarm-redis"),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	builds := []struct{ pkg, name, tag string }{
		{".", "mlops", im.api},
		{"./pkg/swarm/internal/testproxy", "testproxy", im.proxy},
	}
	for _, b := range builds {
		opts := imagebuild.Options{Binary: buildStatic(t, b.pkg, b.name), Tag: b.tag}
		if _, err := imagebuild.Ensure(ctx, c, opts, nil); err != nil {
			t.Fatalf("build image %s: %v", b.tag, err)
		}
		enginetest.RemoveImageOnCleanup(t, c, b.tag)
	}
	enginetest.RedisImage(t, c, im.redis)
	return im
}

// modelStore is a project's model registry and the key that signs it.
type modelStore struct {
	reg  *registry.Registry
	priv ed25519.PrivateKey
	dir  string
}

// newModelStore writes a key pair under dir/keys and opens dir/models.
func newModelStore(t *testing.T, dir string) *modelStore {
	t.Helper()
	keys := filepath.Join(dir, "keys")
	if err := os.MkdirAll(keys, 0o755); err != nil {
		t.Fatal(err)
	}
	privPath, pubPath := filepath.Join(keys, "signing.key"), filepath.Join(keys, "signing.pub")
	if err := registry.GenerateKeyPair(privPath, pubPath); err != nil {
		t.Fatalf("GenerateKeyPair: %v", err)
	}
	priv, err := registry.LoadPrivateKey(privPath)
	if err != nil {
		t.Fatalf("LoadPrivateKey: %v", err)
	}
	return &modelStore{reg: registry.Open(filepath.Join(dir, "models")), priv: priv, dir: dir}
}

// publish trains a small Iris forest with seed and publishes it.
func (m *modelStore) publish(t *testing.T, seed int64) int {
	t.Helper()
	ds := dataset.Iris()
	p := forest.DefaultParams()
	p.Trees, p.Seed = 10, seed
	f, err := forest.Fit(context.Background(), ds.X, ds.Y, len(ds.Classes), p, nil)
	if err != nil {
		t.Fatalf("forest.Fit: %v", err)
	}
	spec := model.Spec{
		Algorithm: "random_forest", Features: ds.Features, Label: ds.Label,
		Classes: ds.Classes, Stats: dataset.Stats(ds),
	}
	meta := model.Metadata{CreatedAt: time.Now().UTC(), Algorithm: "random_forest", Params: p}
	files, err := model.Encode(spec, meta, f)
	if err != nil {
		t.Fatalf("model.Encode: %v", err)
	}
	v, err := m.reg.Publish("iris", files, m.priv)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	return v
}

// corrupt flips a byte of a published version's forest, so its digest no
// longer matches the signed manifest.
func (m *modelStore) corrupt(t *testing.T, version int) {
	t.Helper()
	path := filepath.Join(m.dir, "models", "iris", fmt.Sprintf("v%d", version), "forest.bin")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// freePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func randomSecret(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func envFile(vars map[string]string) string {
	var b strings.Builder
	for k, v := range vars {
		fmt.Fprintf(&b, "%s=%s\n", k, v)
	}
	return b.String()
}
