package cmd

import (
	"strings"
	"testing"
)

func TestDemo_Once(t *testing.T) {
	code, stdout, stderr := runCLI(t, t.TempDir(), "demo", "--once", "--addr", "127.0.0.1:0")
	if code != ExitOK {
		t.Fatalf("demo exit code = %d; stderr: %s", code, stderr)
	}
	for _, step := range []string{"1. trained iris:v1", "2. verified iris:v1", "3. serving", "5. POST /predict"} {
		if !strings.Contains(stderr, step) {
			t.Errorf("stderr lacks step %q:\n%s", step, stderr)
		}
	}
	if !strings.Contains(stderr, "-> versicolor") {
		t.Errorf("demo prediction of a versicolor sample was not versicolor:\n%s", stderr)
	}
	// With --once the server is gone when the demo returns, so no curl line is offered.
	if strings.Contains(stdout, "curl") {
		t.Errorf("stdout offers a curl line although --once stopped the server:\n%s", stdout)
	}
}
