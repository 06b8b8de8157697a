package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlops-dev/mlops/pkg/client/clienttest"
)

// apiProject starts the real API and writes a project folder whose
// mlops.yaml points at it; the auth secret comes from MLOPS_AUTH_SECRET.
func apiProject(t *testing.T) (string, *clienttest.API) {
	t.Helper()
	a := clienttest.Start(t, clienttest.Options{})
	dir := t.TempDir()
	yaml := fmt.Sprintf("api:\n  url: %q\n  ca_cert: %q\n", a.Config.API.URL, a.Config.API.CACert)
	if err := os.WriteFile(filepath.Join(dir, "mlops.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MLOPS_AUTH_SECRET", a.Config.Auth.Secret)
	return dir, a
}

func TestPredictCmd_Values(t *testing.T) {
	dir, _ := apiProject(t)
	code, stdout, stderr := runCLI(t, dir, "predict", "5.1", "3.5", "1.4", "0.2")
	if code != ExitOK {
		t.Fatalf("exit code = %d, stderr: %s", code, stderr)
	}
	if !strings.Contains(stdout, "setosa") || !strings.Contains(stdout, "P(virginica)") {
		t.Errorf("stdout = %q, want a table with setosa and P(virginica)", stdout)
	}
}

func TestPredictCmd_JSONFromStdinFlagFile(t *testing.T) {
	dir, _ := apiProject(t)
	csv := filepath.Join(dir, "rows.csv")
	os.WriteFile(csv, []byte("5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n"), 0o644)
	code, stdout, stderr := runCLI(t, dir, "predict", "--file", csv, "--output", "json", "--batch-size", "1")
	if code != ExitOK {
		t.Fatalf("exit code = %d, stderr: %s", code, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	for i, want := range []string{"setosa", "virginica"} {
		var row struct {
			Row   int    `json:"row"`
			Class string `json:"class"`
		}
		if err := dec.Decode(&row); err != nil {
			t.Fatalf("decode line %d of %q: %v", i+1, stdout, err)
		}
		if row.Row != i || row.Class != want {
			t.Errorf("line %d = %+v, want row %d class %s", i+1, row, i, want)
		}
	}
}

func TestPredictCmd_Errors(t *testing.T) {
	dir, _ := apiProject(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no input", []string{"predict"}, ExitUsage, "no input"},
		{"two inputs", []string{"predict", "1", "--feature", "a=1"}, ExitUsage, "only one input"},
		{"refused", []string{"predict", "--url", "http://127.0.0.1:1", "1", "2", "3", "4"}, ExitError, "connection refused; is the server up?"},
		{"bad url", []string{"predict", "--url", "ftp://x", "1"}, ExitError, `api.url "ftp://x" is not an http:// or https:// URL`},
		{"missing CA file", []string{"predict", "--ca-cert", "nope.crt", "1"}, ExitError, "api.ca_cert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, dir, tt.args...)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want empty", stdout)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.want)
			}
		})
	}
}

func TestPredictCmd_MissingFile(t *testing.T) {
	dir, _ := apiProject(t)
	code, stdout, stderr := runCLI(t, dir, "predict", "--file", "/nonexistent.csv")
	if code != ExitError {
		t.Errorf("exit code = %d, want %d", code, ExitError)
	}
	if stdout != "" {
		t.Errorf("stdout = %q, want empty", stdout)
	}
	if want := "error: open /nonexistent.csv: no such file or directory\n"; stderr != want {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}
}
