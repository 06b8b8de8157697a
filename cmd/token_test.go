package cmd

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/auth"
)

func TestTokenCmd_Offline(t *testing.T) {
	dir, _ := apiProject(t)
	code, stdout, stderr := runCLI(t, dir, "token", "--sub", "alice", "--role", "predict", "--ttl", "1h")
	if code != ExitOK {
		t.Fatalf("exit code = %d, stderr: %s", code, stderr)
	}
	if tok := strings.TrimSpace(stdout); strings.Count(tok, ".") != 2 || strings.Contains(tok, " ") {
		t.Errorf("stdout = %q, want one bare JWT", stdout)
	}

	code, stdout, stderr = runCLI(t, dir, "token", "--sub", "bob", "--role", "read", "--role", "predict", "--output", "json")
	if code != ExitOK {
		t.Fatalf("json: exit code = %d, stderr: %s", code, stderr)
	}
	var got struct {
		Token     string    `json:"token"`
		Subject   string    `json:"subject"`
		Roles     []string  `json:"roles"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("decode %q: %v", stdout, err)
	}
	if got.Subject != "bob" || len(got.Roles) != 2 || got.Token == "" || got.ExpiresAt.IsZero() {
		t.Errorf("json = %+v, want subject bob, 2 roles, token and expiry", got)
	}
}

func TestTokenCmd_ClientCredentials(t *testing.T) {
	dir, a := apiProject(t)
	secret, err := a.Clients.Add("ci", []string{auth.RolePredict})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(clientSecretEnv, secret)
	code, stdout, stderr := runCLI(t, dir, "token", "--client-id", "ci")
	if code != ExitOK {
		t.Fatalf("exit code = %d, stderr: %s", code, stderr)
	}
	if strings.Count(strings.TrimSpace(stdout), ".") != 2 {
		t.Errorf("stdout = %q, want a JWT", stdout)
	}
}

func TestTokenCmd_Errors(t *testing.T) {
	dir, _ := apiProject(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no subject", []string{"token", "--role", "predict"}, ExitUsage, "--sub NAME is required"},
		{"no role", []string{"token", "--sub", "a"}, ExitUsage, "--role is required"},
		{"unknown role", []string{"token", "--sub", "a", "--role", "bogus"}, ExitUsage,
			`unknown role "bogus"; known roles: admin, feedback, predict, read`},
		{"ttl above max", []string{"token", "--sub", "a", "--role", "read", "--ttl", "48h"}, ExitUsage,
			"ttl 48h0m0s exceeds auth.max_ttl 24h0m0s"},
		{"negative ttl", []string{"token", "--sub", "a", "--role", "read", "--ttl", "-5m"}, ExitUsage,
			"ttl -5m0s must be positive"},
		{"client id with role", []string{"token", "--client-id", "ci", "--role", "read"}, ExitUsage, "takes no --sub or --role"},
		{"secret not from a pipe", []string{"token", "--client-id", "ci"}, ExitError, "stdin is not a terminal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(clientSecretEnv, "")
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
