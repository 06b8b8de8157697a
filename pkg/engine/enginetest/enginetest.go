// Package enginetest helps tests that need a real Docker engine. It connects
// or skips, names test projects uniquely, and labels what tests create and
// removes it afterwards. It also builds the images the tests run: a FROM
// scratch image of a static test server and a minimal Redis image made from
// the host's redis-server.
package enginetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/engine"
)

// LabelTest marks every object a test creates; Cleanup removes only objects
// that carry it together with the test's project label.
const LabelTest = "com.mlops.test"

// requireEnv turns skips for a missing engine into failures.
const requireEnv = "MLOPS_REQUIRE_SERVICES"

// Connect returns a client of the engine named by the environment. When no
// engine responds the test is skipped, or fails if MLOPS_REQUIRE_SERVICES=1.
func Connect(t testing.TB) *engine.Client {
	t.Helper()
	if err := lockEngine(false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := engine.New(ctx)
	if err != nil {
		if os.Getenv(requireEnv) == "1" {
			t.Fatalf("docker engine required (%s=1): %v", requireEnv, err)
		}
		t.Skipf("skipping: needs a Docker engine (%v); set %s=1 to make this a failure", err, requireEnv)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Labels returns the labels a test passes to everything it creates.
func Labels() map[string]string {
	return map[string]string{LabelTest: "1"}
}

// Project returns a fresh project name for a test and registers a cleanup
// that removes every container, network and volume that carries both the
// test label and that project label.
func Project(t testing.TB, c *engine.Client) string {
	t.Helper()
	project := "mlt" + randomHex(t, 4)
	t.Cleanup(func() { Cleanup(t, c, project) })
	return project
}

// Cleanup removes the test objects of project.
func Cleanup(t testing.TB, c *engine.Client, project string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	labels := map[string]string{LabelTest: "1", engine.LabelProject: project}

	containers, err := c.ListContainers(ctx, labels)
	if err != nil {
		t.Errorf("cleanup: %v", err)
	}
	for _, ct := range containers {
		if err := c.RemoveContainer(ctx, ct.ID); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
	networks, err := c.ListNetworks(ctx, labels)
	if err != nil {
		t.Errorf("cleanup: %v", err)
	}
	for _, n := range networks {
		if err := c.RemoveNetwork(ctx, n.ID); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
	volumes, err := c.ListVolumes(ctx, labels)
	if err != nil {
		t.Errorf("cleanup: %v", err)
	}
	for _, v := range volumes {
		if err := c.RemoveVolume(ctx, v.Name); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
}

// RemoveImageOnCleanup removes the image ref when the test ends, after the
// test-labelled containers that use it, whatever order cleanups run in.
func RemoveImageOnCleanup(t testing.TB, c *engine.Client, ref string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		containers, err := c.ListContainers(ctx, Labels())
		if err != nil {
			t.Errorf("cleanup: %v", err)
		}
		for _, ct := range containers {
			if ct.Image != ref {
				continue
			}
			if err := c.RemoveContainer(ctx, ct.ID); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
		if err := c.RemoveImage(ctx, ref); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
}

// BuildTestApp compiles the testapp command as a static Linux binary and
// returns its path.
func BuildTestApp(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("locate enginetest source: runtime.Caller failed")
	}
	out := filepath.Join(t.TempDir(), "testapp")
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, "./testapp")
	cmd.Dir = filepath.Dir(file)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if output, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build testapp: %v\n%s", err, output)
	}
	return out
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random name: %v", err)
	}
	return hex.EncodeToString(b)
}

// UniqueTag returns an image reference unique to this test run, such as
// "mlops-test-1a2b3c4d:dev".
func UniqueTag(t testing.TB, name string) string {
	return name + "-" + randomHex(t, 4) + ":test"
}
