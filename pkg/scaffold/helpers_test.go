package scaffold

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// requireServices reports whether a missing tool must fail the test rather
// than skip it.
func requireServices() bool { return os.Getenv("MLOPS_REQUIRE_SERVICES") == "1" }

// lookTool returns the path of an external tool or skips the test.
func lookTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if requireServices() {
			t.Fatalf("%s not found and MLOPS_REQUIRE_SERVICES=1: %v", name, err)
		}
		t.Skipf("%s not found on PATH; install it to run this check", name)
	}
	return path
}

// initProject runs Write into a fresh folder and returns the folder.
func initProject(t *testing.T, opts Options) (string, *Result) {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = filepath.Join(t.TempDir(), "demo")
	}
	res, err := Write(context.Background(), opts, nil)
	if err != nil {
		t.Fatalf("Write(%+v): %v", opts, err)
	}
	return opts.Dir, res
}

// readYAML parses a project file into a generic map.
func readYAML(t *testing.T, dir, rel string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatalf("read %s: %v", rel, err)
	}
	var out map[string]any
	if err := yaml.Unmarshal(data, &out); err != nil {
		t.Fatalf("parse %s as YAML: %v", rel, err)
	}
	return out
}

// dig follows keys through nested maps and returns nil when a key is absent.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func mapKeys(v any) []string {
	m, _ := v.(map[string]any)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
