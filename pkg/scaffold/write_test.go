package scaffold

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// snapshot returns the content and modification time of every file in dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = info.ModTime().String() + "\n" + string(data)
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot %s: %v", dir, err)
	}
	return out
}

func TestWrite_TwiceKeepsFiles(t *testing.T) {
	dir, _ := initProject(t, Options{})
	before := snapshot(t, dir)

	res, err := Write(context.Background(), Options{Dir: dir}, nil)
	if err != nil {
		t.Fatalf("second Write with the same options: %v", err)
	}
	for _, f := range res.Files {
		if f.Action != ActionUnchanged {
			t.Errorf("second Write: %s is %s, want unchanged", f.Path, f.Action)
		}
	}
	if after := snapshot(t, dir); !mapsEqual(before, after) {
		t.Error("second Write changed files")
	}
}

func TestWrite_ConflictWithoutForce(t *testing.T) {
	dir, _ := initProject(t, Options{})
	before := snapshot(t, dir)

	res, err := Write(context.Background(), Options{Dir: dir, HTTPSPort: 10443}, nil)
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("Write with another port = %v, want ErrConflict", err)
	}
	for _, path := range []string{"docker-compose.yml", "mlops.yaml", "traefik/traefik.yml"} {
		if !slices.Contains(res.Conflicts(), path) {
			t.Errorf("conflicts %v lack %s", res.Conflicts(), path)
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("error %q does not name %s", err, path)
		}
	}
	if slices.Contains(res.Conflicts(), ".env") {
		t.Error(".env is listed as a conflict although its secrets are kept")
	}
	if after := snapshot(t, dir); !mapsEqual(before, after) {
		t.Error("a conflicting Write changed files")
	}

	envBefore, _ := os.ReadFile(filepath.Join(dir, ".env"))
	if _, err := Write(context.Background(), Options{Dir: dir, HTTPSPort: 10443, Force: true}, nil); err != nil {
		t.Fatalf("Write with Force: %v", err)
	}
	compose, _ := os.ReadFile(filepath.Join(dir, "docker-compose.yml"))
	if !bytes.Contains(compose, []byte("10443:8443")) {
		t.Error("Force did not rewrite docker-compose.yml with the new port")
	}
	envAfter, _ := os.ReadFile(filepath.Join(dir, ".env"))
	if !bytes.Equal(envBefore, envAfter) {
		t.Error("Force replaced the secrets in .env")
	}
}

func TestWrite_DryRunWritesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	var out bytes.Buffer
	res, err := Write(context.Background(), Options{Dir: dir, DryRun: true}, &out)
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("dry run created %s (stat: %v)", dir, err)
	}
	if len(res.Files) == 0 || res.Files[0].Action != ActionCreate {
		t.Errorf("dry run result = %+v, want files to create", res.Files)
	}
	if !strings.Contains(out.String(), "Would write") {
		t.Errorf("dry run summary does not say it would write:\n%s", out.String())
	}
}

func TestWrite_SecretsRandomAndLongEnough(t *testing.T) {
	dirA, _ := initProject(t, Options{})
	dirB, _ := initProject(t, Options{})
	envA, _, err := readEnv(filepath.Join(dirA, ".env"))
	if err != nil {
		t.Fatal(err)
	}
	envB, _, err := readEnv(filepath.Join(dirB, ".env"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secretSizes {
		a, b := envA[s.Key], envB[s.Key]
		raw, err := base64.RawURLEncoding.DecodeString(a)
		if err != nil {
			t.Errorf("%s is not unpadded base64url: %v", s.Key, err)
		}
		if len(raw) != s.Bytes {
			t.Errorf("%s decodes to %d bytes, want %d", s.Key, len(raw), s.Bytes)
		}
		if a == b {
			t.Errorf("%s is the same in two projects", s.Key)
		}
	}
	if n := len(envA["MLOPS_AUTH_SECRET"]); n < 43 {
		t.Errorf("MLOPS_AUTH_SECRET has %d characters, want at least 43 (32 bytes)", n)
	}
	template, _, err := readEnv(filepath.Join(dirA, ".env.template"))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range EnvKeys() {
		v, ok := template[key]
		if !ok || v != "" {
			t.Errorf(".env.template %s = %q (present %v), want the key without a value", key, v, ok)
		}
	}
}

func TestWrite_Modes(t *testing.T) {
	dir, _ := initProject(t, Options{})
	want := map[string]fs.FileMode{
		".env": 0o600, "certs/ca.key": 0o600, "certs/server.key": 0o600,
		"certs/ca.crt": 0o644, "mlops.yaml": 0o644, "keys": 0o700 | fs.ModeDir,
	}
	for rel, mode := range want {
		st, err := os.Stat(filepath.Join(dir, rel))
		if err != nil {
			t.Fatalf("stat %s: %v", rel, err)
		}
		if got := st.Mode() & (fs.ModePerm | fs.ModeDir); got != mode {
			t.Errorf("%s mode = %v, want %v", rel, got, mode)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "*", ".*.tmp-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestWrite_GitignoreCoversSecrets(t *testing.T) {
	dir, _ := initProject(t, Options{})
	data, err := os.ReadFile(filepath.Join(dir, ".gitignore"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	for _, want := range []string{".env", "certs/*.key", "keys/", "models/", "*.log"} {
		if !slices.Contains(lines, want) {
			t.Errorf(".gitignore lacks %q", want)
		}
	}
}

func TestWrite_UnwritableFolder(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Write(context.Background(), Options{Dir: filepath.Join(file, "demo")}, nil)
	if err == nil {
		t.Fatal("Write under a regular file succeeded")
	}
	if !strings.Contains(err.Error(), file) {
		t.Errorf("error %q does not name the folder", err)
	}
}

func TestOptions_Invalid(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"domain with underscore", Options{Domain: "my_host.local"}, `invalid domain "my_host.local"`},
		{"domain with empty label", Options{Domain: "a..b"}, "invalid domain"},
		{"label of 64 characters", Options{Domain: strings.Repeat("a", 64) + ".com"}, "invalid domain"},
		{"port above range", Options{HTTPSPort: 70000}, "HTTPS port 70000 out of range"},
		{"negative port", Options{HTTPPort: -1}, "HTTP port -1 out of range"},
		{"same ports", Options{HTTPSPort: 9000, HTTPPort: 9000}, "both 9000"},
		{"unknown service", Options{Services: []string{"api", "mysql"}}, `unknown service "mysql"`},
		{"no api", Options{Services: []string{"redis"}}, "must include api"},
		{"duplicate service", Options{Services: []string{"api", "api"}}, "listed twice"},
		{"acme on localhost", Options{ACMEEmail: "ops@example.com"}, "cannot get Let's Encrypt"},
		{"bad acme email", Options{Domain: "example.com", ACMEEmail: "ops"}, "invalid ACME email"},
		{"production without email", Options{ACMEProductionServer: true}, "needs --acme-email"},
		{"bad project", Options{Project: "My Project"}, "invalid project name"},
		{"bad version", Options{Version: "1.0 beta"}, "invalid version"},
		{"image for unknown service", Options{Images: map[string]string{"db": "postgres:16"}}, `unknown service "db"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Dir = filepath.Join(t.TempDir(), "demo")
			_, err := Write(context.Background(), tt.opts, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Write = %v, want an error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
			if _, statErr := os.Stat(tt.opts.Dir); !errors.Is(statErr, fs.ErrNotExist) {
				t.Error("invalid options still created the project folder")
			}
		})
	}
}

func TestSanitizeProject(t *testing.T) {
	tests := map[string]string{
		"demo": "demo", "My Project": "myproject", "_x.y-z": "xy-z", "...": "mlops", "Ünïcode9": "ncode9",
	}
	for in, want := range tests {
		if got := SanitizeProject(in); got != want {
			t.Errorf("SanitizeProject(%q) = %q, want %q", in, got, want)
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
