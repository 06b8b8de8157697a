package cmd

import (
	"strings"
	"testing"
)

func TestClientsCmd_UsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"id with a slash", []string{"clients", "add", "bad/id"}, `client id "bad/id" is invalid`},
		{"unknown role", []string{"clients", "add", "ci", "--role", "bogus"},
			`unknown role "bogus"; known roles: admin, feedback, predict, read`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			code, stdout, stderr := runCLI(t, dir, tt.args...)
			if code != ExitUsage {
				t.Errorf("exit code = %d, want %d; stderr: %s", code, ExitUsage, stderr)
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

func TestClientsCmd_AddThenListRoles(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, dir, "clients", "add", "ci", "--role", "read", "--role", "predict")
	if code != ExitOK {
		t.Fatalf("add exit code = %d; stderr: %s", code, stderr)
	}
	if want := "added client ci with roles read, predict;"; !strings.Contains(stderr, want) {
		t.Errorf("add stderr = %q, want it to contain %q", stderr, want)
	}
	if strings.TrimSpace(stdout) == "" {
		t.Errorf("add stdout is empty, want the secret")
	}

	code, stdout, stderr = runCLI(t, dir, "clients", "list")
	if code != ExitOK {
		t.Fatalf("list exit code = %d; stderr: %s", code, stderr)
	}
	if !strings.Contains(stdout, "predict,read") {
		t.Errorf("list stdout = %q, want the roles as predict,read", stdout)
	}
	if strings.Contains(stdout, "[") {
		t.Errorf("list stdout = %q, want no Go slice brackets", stdout)
	}
}
