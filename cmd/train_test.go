package cmd

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlops-dev/mlops/pkg/ui"
)

// runCLI runs one mlops command line in dir and returns the exit code, stdout and stderr.
func runCLI(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	t.Chdir(dir)
	streams, out, errOut := ui.Test()
	f := &Factory{Streams: streams, Version: "test", Commit: "test"}
	code := Run(context.Background(), f, args)
	return code, out.String(), errOut.String()
}

func testdataPath(t *testing.T, parts ...string) string {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join(append([]string{"..", "testdata"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func TestTrain_BadCSV(t *testing.T) {
	tests := []struct {
		file string
		want string // a part of the one-line message
	}{
		{"empty.csv", "empty"},
		{"header_only.csv", "no data rows"},
		{"ragged.csv", "row "},
		{"non_numeric.csv", "not a number"},
		{"single_class.csv", "one class"},
		{"small_class.csv", "has only 1 row"},
		{"missing_values.csv", "missing value"},
		{"utf16le.csv", "UTF-16"},
		{"duplicate_column.csv", "duplicate"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := testdataPath(t, "csv", tt.file)
			code, stdout, stderr := runCLI(t, t.TempDir(), "train", "--data", path, "--cv", "0", "--trees", "5")
			if code != ExitError {
				t.Errorf("exit code = %d, want %d; stderr: %s", code, ExitError, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want empty", stdout)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "error: ") || !strings.Contains(last, tt.file) {
				t.Errorf("last stderr line = %q, want an error naming %s", last, tt.file)
			}
			if !strings.Contains(strings.ToLower(last), strings.ToLower(tt.want)) {
				t.Errorf("error = %q, want it to mention %q", last, tt.want)
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
				t.Errorf("stderr has a Go stack trace: %s", stderr)
			}
		})
	}
}

func TestTrain_UsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"train", "--nope"}, "unknown flag"},
		{"bad missing policy", []string{"train", "--missing", "zero"}, "--missing"},
		{"bad delimiter", []string{"train", "--delimiter", "|"}, "--delimiter"},
		{"bad test size", []string{"train", "--test-size", "1.5"}, "--test-size"},
		{"bad output", []string{"train", "--output", "xml"}, "--output"},
		{"zero trees", []string{"train", "--trees", "0"}, "invalid tree count 0: must be at least 1"},
		{"negative max depth", []string{"train", "--max-depth", "-1"}, "invalid max depth -1"},
		{"zero min samples leaf", []string{"train", "--min-samples-leaf", "0"}, "invalid min samples per leaf 0"},
		{"negative max features", []string{"train", "--max-features", "-2"}, "invalid max features -2"},
		{"negative workers", []string{"train", "--workers", "-1"}, "invalid worker count -1"},
		{"extra argument", []string{"train", "iris.csv"}, "accepts 0 arg"},
		{"unknown command", []string{"trian"}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, t.TempDir(), tt.args...)
			if code != ExitUsage {
				t.Errorf("exit code = %d, want %d; stderr: %s", code, ExitUsage, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.want)
			}
		})
	}
}

func TestTrain_MaxFeaturesAboveFeatureCount(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI(t, dir, "train", "--max-features", "9", "--trees", "5", "--cv", "0")
	if code != ExitError {
		t.Errorf("exit code = %d, want %d (depends on the data); stderr: %s", code, ExitError, stderr)
	}
	if !strings.Contains(stderr, "9") {
		t.Errorf("stderr = %q, want it to name the value 9", stderr)
	}
}

func TestTrain_BadParamsCreateNoKey(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, dir, "train", "--trees", "0"); code != ExitUsage {
		t.Fatalf("exit code = %d, want %d; stderr: %s", code, ExitUsage, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "keys")); !os.IsNotExist(err) {
		t.Errorf("keys folder after a usage error: stat error = %v, want not exist", err)
	}
}

func TestTrain_BuiltInIrisThenVerify(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, dir, "train", "--output", "json", "--trees", "20", "--cv", "3")
	if code != ExitOK {
		t.Fatalf("train exit code = %d; stderr: %s", code, stderr)
	}
	var res struct {
		Name     string `json:"name"`
		Version  int    `json:"version"`
		Metadata struct {
			Metrics struct {
				Holdout struct {
					Accuracy float64 `json:"accuracy"`
				} `json:"holdout"`
			} `json:"metrics"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("train --output json is not JSON: %v\n%s", err, stdout)
	}
	if res.Name != "iris" || res.Version != 1 {
		t.Errorf("trained %s:v%d, want iris:v1", res.Name, res.Version)
	}
	if res.Metadata.Metrics.Holdout.Accuracy < 0.85 {
		t.Errorf("hold-out accuracy = %.3f, want >= 0.85 on Iris", res.Metadata.Metrics.Holdout.Accuracy)
	}
	if !strings.Contains(stderr, "generated") {
		t.Errorf("stderr = %q, want a line saying where the new key was written", stderr)
	}
	info, err := os.Stat(filepath.Join(dir, "keys", "signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("private key mode = %o, want 600", perm)
	}

	if code, _, stderr := runCLI(t, dir, "models", "verify"); code != ExitOK {
		t.Fatalf("verify exit code = %d; stderr: %s", code, stderr)
	}

	// One changed byte in the forest file must fail verification, naming the file.
	forestPath := filepath.Join(dir, "models", "iris", "v1", "forest.bin")
	raw, err := os.ReadFile(forestPath)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0x01
	if err := os.WriteFile(forestPath, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, dir, "models", "verify", "iris:v1")
	if code != ExitError {
		t.Errorf("verify of a tampered version: exit code = %d, want %d", code, ExitError)
	}
	if !strings.Contains(stderr, "forest.bin") {
		t.Errorf("verify stderr = %q, want it to name forest.bin", stderr)
	}
}

func TestBindFlag_OnlyRunningCommand(t *testing.T) {
	// train binds --name to models.name; serve binds nothing to it. A model name given
	// to train must reach the config even though other commands were constructed too.
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, dir, "train", "--name", "flowers", "--trees", "5", "--cv", "0", "--output", "json")
	if code != ExitOK {
		t.Fatalf("exit code = %d; stderr: %s", code, stderr)
	}
	if !strings.Contains(stdout, `"name": "flowers"`) {
		t.Errorf("train --name flowers did not name the model flowers:\n%s", stdout)
	}
}

// TestRun_NoCobraErrorPrefix checks that only Run prints errors: cobra's own
// "Error:" line would repeat the message with another prefix.
func TestRun_NoCobraErrorPrefix(t *testing.T) {
	for _, args := range [][]string{
		{"up", "--help"},
		{"up", "--bogus"},
		{"up", "extra"},
		{"trian"},
		{"models", "verify", "a", "b"},
		{"token", "--ttl", "x"},
	} {
		_, stdout, stderr := runCLI(t, t.TempDir(), args...)
		if strings.Contains(stdout+stderr, "Error:") {
			t.Errorf("mlops %s printed cobra's Error: prefix; stdout %q, stderr %q", strings.Join(args, " "), stdout, stderr)
		}
		if n := strings.Count(stderr, "error: "); n > 1 {
			t.Errorf("mlops %s printed %d error lines, want at most 1: %q", strings.Join(args, " "), n, stderr)
		}
	}
}

func TestCommandGroups_RequireSubcommand(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"models"}, "mlops models needs a subcommand: export, import, list, promote, show, verify"},
		{[]string{"models", "bogus"}, `unknown command "bogus" for "mlops models"`},
		{[]string{"clients"}, "mlops clients needs a subcommand"},
		{[]string{"models", "promote", "iris"}, "name the version, as iris:vN or iris@ALIAS"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(t, t.TempDir(), tt.args...)
			if code != ExitUsage {
				t.Errorf("exit code = %d, want %d", code, ExitUsage)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.want)
			}
		})
	}
}

func TestConfig_SecretFromFile(t *testing.T) {
	dir := t.TempDir()
	secretPath := filepath.Join(dir, "auth_secret")
	if err := os.WriteFile(secretPath, []byte("from-a-file-0123456789abcdefghijklmnop\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MLOPS_AUTH_SECRET_FILE", secretPath)
	t.Chdir(dir)
	streams, _, _ := ui.Test()
	f := &Factory{Streams: streams, loader: newConfigLoader()}
	cfg, err := f.Config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Auth.Secret != "from-a-file-0123456789abcdefghijklmnop" {
		t.Errorf("auth.secret = %q, want the file's content without the newline", cfg.Auth.Secret)
	}

	t.Setenv("MLOPS_AUTH_SECRET", "also-set")
	f = &Factory{Streams: streams, loader: newConfigLoader()}
	if _, err := f.Config(); err == nil || !strings.Contains(err.Error(), "MLOPS_AUTH_SECRET and MLOPS_AUTH_SECRET_FILE are both set") {
		t.Errorf("Config with both set = %v, want an error naming both variables", err)
	}
}

func TestPredict_BadValueIsUsageError(t *testing.T) {
	code, _, stderr := runCLI(t, t.TempDir(), "predict", "5.1", "abc", "1.4", "0.2")
	if code != ExitUsage {
		t.Errorf("exit code = %d, want %d", code, ExitUsage)
	}
	if !strings.Contains(stderr, `value 2: "abc" is not a finite number`) {
		t.Errorf("stderr = %q, want it to name value 2", stderr)
	}
}

func TestConfig_TrustedProxiesFromEnv(t *testing.T) {
	t.Setenv("MLOPS_SERVE_TRUSTED_PROXIES", "10.0.0.0/8,192.168.1.1")
	t.Chdir(t.TempDir())
	streams, _, _ := ui.Test()
	f := &Factory{Streams: streams, loader: newConfigLoader()}
	cfg, err := f.Config()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(cfg.Serve.TrustedProxies, " ")
	if got != "10.0.0.0/8 192.168.1.1" {
		t.Errorf("serve.trusted_proxies = %q, want the two entries of MLOPS_SERVE_TRUSTED_PROXIES", got)
	}
}

func TestStackCommands_UsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"up", "--swarm", "--endpoint-mode", "bogus"}, `--endpoint-mode: "bogus" is not a mode; use vip or dnsrr`},
		{[]string{"scale", "api"}, "scale api: expected SERVICE=N with N a whole number, e.g. api=3"},
		{[]string{"scale", "api=-1"}, "scale api=-1: expected SERVICE=N"},
		{[]string{"serve", "--log-level", "loud"}, `--log-level: "loud" is not a level`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(t, t.TempDir(), tt.args...)
			if code != ExitUsage {
				t.Errorf("exit code = %d, want %d; stderr: %s", code, ExitUsage, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.want)
			}
		})
	}
}
