package auth

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/crypto/bcrypt"
)

func openTestClients(t *testing.T, path string) *ClientStore {
	t.Helper()
	s, err := OpenClients(path)
	if err != nil {
		t.Fatalf("OpenClients(%q): %v", path, err)
	}
	if err := s.SetCost(bcrypt.MinCost); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestClientStore_Lifecycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clients.json")
	s := openTestClients(t, path)
	if got := s.List(); len(got) != 0 {
		t.Fatalf("List() on a missing file = %v, want empty", got)
	}

	secret, err := s.Add("svc-a", []string{RolePredict, RoleRead})
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	if len(secret) != 43 {
		t.Errorf("secret has %d characters, want 43 (32 random bytes, base64url)", len(secret))
	}
	if _, err := s.Add("svc-b", []string{RoleAdmin}); err != nil {
		t.Fatalf("Add svc-b: %v", err)
	}

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("clients file mode = %04o, want 0600", perm)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), secret) {
		t.Errorf("clients file contains the plain secret")
	}
	if !strings.Contains(string(data), `"secret_hash": "$2a$`) {
		t.Errorf("clients file has no bcrypt hash:\n%s", data)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".clients.json.tmp-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}

	c, err := openTestClients(t, path).Authenticate("svc-a", secret)
	if err != nil {
		t.Fatalf("Authenticate after reopen: %v", err)
	}
	if want := []string{RolePredict, RoleRead}; !cmp.Equal(c.Roles, want) {
		t.Errorf("Roles = %v, want %v", c.Roles, want)
	}

	gotIDs := []string{}
	for _, c := range s.List() {
		gotIDs = append(gotIDs, c.ID)
	}
	if want := []string{"svc-a", "svc-b"}; !cmp.Equal(gotIDs, want) {
		t.Errorf("List IDs = %v, want %v", gotIDs, want)
	}

	if err := s.Remove("svc-a"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	_, err = s.Authenticate("svc-a", secret)
	wantAuthError(t, err, CodeInvalidClient, http.StatusUnauthorized)
	if err := s.Remove("svc-a"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("second Remove error = %v, want not found", err)
	}
}

func TestClientStore_AuthenticateRejects(t *testing.T) {
	s := openTestClients(t, filepath.Join(t.TempDir(), "clients.json"))
	secret, err := s.Add("svc", []string{RoleRead})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, id, secret string
	}{
		{"wrong secret", "svc", secret[:42] + "x"},
		{"unknown id", "nobody", secret},
		{"empty secret", "svc", ""},
		{"secret with extra suffix", "svc", secret + strings.Repeat("x", 40)},
		{"id differs in case", "SVC", secret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := s.Authenticate(tt.id, tt.secret)
			if c != nil {
				t.Errorf("Authenticate returned client %+v", c)
			}
			ae := wantAuthError(t, err, CodeInvalidClient, http.StatusUnauthorized)
			if strings.Contains(ae.Error(), secret) {
				t.Errorf("error %q contains the secret", ae)
			}
		})
	}
}

func TestClientStore_UnknownIDStillHashes(t *testing.T) {
	s := openTestClients(t, filepath.Join(t.TempDir(), "clients.json"))
	if _, err := s.Add("svc", []string{RoleRead}); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	orig := compareHash
	compareHash = func(hash, pw []byte) error {
		calls.Add(1)
		return orig(hash, pw)
	}
	t.Cleanup(func() { compareHash = orig })

	for _, id := range []string{"svc", "unknown"} {
		calls.Store(0)
		_, _ = s.Authenticate(id, "some-guess")
		if n := calls.Load(); n != 1 {
			t.Errorf("Authenticate(%q) ran %d bcrypt comparisons, want 1", id, n)
		}
	}
}

func TestClientStore_AddRejects(t *testing.T) {
	s := openTestClients(t, filepath.Join(t.TempDir(), "clients.json"))
	if _, err := s.Add("dup", []string{RoleRead}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		id    string
		roles []string
		want  string
	}{
		{"duplicate id", "dup", []string{RoleRead}, "already exists"},
		{"empty id", "", []string{RoleRead}, "invalid"},
		{"id with space", "a b", []string{RoleRead}, "invalid"},
		{"id with slash", "a/b", []string{RoleRead}, "invalid"},
		{"id too long", strings.Repeat("a", 65), []string{RoleRead}, "invalid"},
		{"unknown role", "x", []string{"root"}, `unknown role "root"`},
		{"no roles", "x", nil, "no roles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret, err := s.Add(tt.id, tt.roles)
			if err == nil {
				t.Fatalf("Add(%q, %v) = %q, want error", tt.id, tt.roles, secret)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
	if err := s.SetCost(3); err == nil {
		t.Errorf("SetCost(3) accepted, want rejected below bcrypt.MinCost")
	}
}

func TestClientStore_SeesChangesFromAnotherWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clients.json")
	server := openTestClients(t, path)
	cli := openTestClients(t, path)

	secret, err := cli.Add("late", []string{RolePredict})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.Authenticate("late", secret); err != nil {
		t.Errorf("server store did not pick up a client added by another store: %v", err)
	}
	if err := cli.Remove("late"); err != nil {
		t.Fatal(err)
	}
	_, err = server.Authenticate("late", secret)
	wantAuthError(t, err, CodeInvalidClient, http.StatusUnauthorized)
}

func TestOpenClients_RejectsBadFiles(t *testing.T) {
	hash := "$2a$04$abcdefghijklmnopqrstuu5O6pZ8J8sQ3bQ1m7n3QJmH5L2rJ6yW"
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string
	}{
		{"readable by group", `{"version":1,"clients":[]}`, 0o640, "chmod 600"},
		{"not JSON", "clients: []", 0o600, "invalid JSON"},
		{"unknown field", `{"version":1,"clients":[],"extra":1}`, 0o600, "unknown field"},
		{"trailing data", `{"version":1,"clients":[]} {}`, 0o600, "after the top-level"},
		{"wrong version", `{"version":2,"clients":[]}`, 0o600, "version 2"},
		{"plain secret instead of hash", `{"version":1,"clients":[{"id":"a","roles":["read"],"secret_hash":"hunter2"}]}`,
			0o600, "not a bcrypt hash"},
		{"unknown role", `{"version":1,"clients":[{"id":"a","roles":["root"],"secret_hash":"` + hash + `"}]}`,
			0o600, `unknown role "root"`},
		{"duplicate id", `{"version":1,"clients":[{"id":"a","roles":["read"],"secret_hash":"` + hash +
			`"},{"id":"a","roles":["read"],"secret_hash":"` + hash + `"}]}`, 0o600, "appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "clients.json")
			if err := os.WriteFile(path, []byte(tt.content), tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			_, err := OpenClients(path)
			if err == nil {
				t.Fatalf("OpenClients accepted the file, want error mentioning %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not mention %q and the path", err, tt.want)
			}
		})
	}
}

func TestClientStore_ListHidesHashes(t *testing.T) {
	s := openTestClients(t, filepath.Join(t.TempDir(), "clients.json"))
	if _, err := s.Add("svc", []string{RoleRead}); err != nil {
		t.Fatal(err)
	}
	got := s.List()
	want := []Client{{ID: "svc", Roles: []string{RoleRead}}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Client{}, "CreatedAt")); diff != "" {
		t.Errorf("List() mismatch (-want +got):\n%s", diff)
	}
	if got[0].CreatedAt.IsZero() {
		t.Errorf("CreatedAt is zero")
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	s, err := OpenClients(filepath.Join(b.TempDir(), "clients.json"))
	if err != nil {
		b.Fatal(err)
	}
	secret, err := s.Add("svc", []string{RoleRead})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, id, secret string }{
		{"known id right secret", "svc", secret},
		{"known id wrong secret", "svc", "wrong"},
		{"unknown id", "nobody", "wrong"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				_, _ = s.Authenticate(bc.id, bc.secret)
			}
		})
	}
}

func TestClientStore_RewriteKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing a file's owner needs root; CI runs as root")
	}
	path := filepath.Join(t.TempDir(), "clients.json")
	if err := EnsureClientsFile(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 65532, 65532); err != nil {
		t.Fatal(err)
	}
	store, err := OpenClients(path)
	if err != nil {
		t.Fatal(err)
	}
	_ = store.SetCost(bcrypt.MinCost)
	if _, err := store.Add("svc", []string{RolePredict}); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st := info.Sys().(*syscall.Stat_t); st.Uid != 65532 || st.Gid != 65532 {
		t.Errorf("owner after rewrite = %d:%d, want 65532:65532", st.Uid, st.Gid)
	}
}
