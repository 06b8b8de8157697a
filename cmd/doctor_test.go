package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDoctorCmd_HealthyThenServerStopped(t *testing.T) {
	dir, a := apiProject(t)
	code, stdout, stderr := runCLI(t, dir, "doctor")
	if code != ExitOK {
		t.Fatalf("exit code = %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, line := range []string{"pass  api ", "pass  token accepted", "pass  tls chain"} {
		if !strings.Contains(stdout, line) {
			t.Errorf("stdout lacks %q:\n%s", line, stdout)
		}
	}

	a.Server.Close()
	code, stdout, stderr = runCLI(t, dir, "doctor", "--output", "json")
	if code != ExitError {
		t.Fatalf("exit code = %d, want %d; stderr: %s", code, ExitError, stderr)
	}
	var got struct {
		Checks []struct {
			Name, Status, Detail, Fix string
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("decode %q: %v", stdout, err)
	}
	for _, c := range got.Checks {
		if c.Name == "api" {
			if c.Status != "fail" || !strings.Contains(c.Fix, "is the server up?") {
				t.Errorf("api check = %+v, want a failure asking whether the server is up", c)
			}
			return
		}
	}
	t.Error("no api check in the JSON output")
}

func TestDoctorCmd_BadConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mlops.yaml"), []byte("serve:\n  max_batch: 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := runCLI(t, dir, "doctor")
	if code != ExitError {
		t.Errorf("exit code = %d, want %d", code, ExitError)
	}
	if !strings.Contains(stdout, "fail  config") || !strings.Contains(stdout, "serve.max_batch: 0 must be at least 1") {
		t.Errorf("stdout lacks the config failure:\n%s", stdout)
	}
}
