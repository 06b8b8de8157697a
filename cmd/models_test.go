package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// trainSmall trains a small Iris model in dir and fails the test on error.
func trainSmall(t *testing.T, dir string) {
	t.Helper()
	if code, _, stderr := runCLI(t, dir, "train", "--trees", "5", "--cv", "0"); code != ExitOK {
		t.Fatalf("train exit code = %d; stderr: %s", code, stderr)
	}
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestModelsVerify_TamperedVersion(t *testing.T) {
	dir := t.TempDir()
	trainSmall(t, dir)
	trainSmall(t, dir)
	forestPath := filepath.Join(dir, "models", "iris", "v1", "forest.bin")
	raw, err := os.ReadFile(forestPath)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0x01
	if err := os.WriteFile(forestPath, raw, 0o644); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCLI(t, dir, "models", "verify", "--output", "json")
	if code != ExitError {
		t.Errorf("exit code = %d, want %d; stderr: %s", code, ExitError, stderr)
	}
	last := lastLine(stderr)
	if !strings.HasPrefix(last, "error: verify iris v1: forest.bin: ") {
		t.Errorf("error line = %q, want it to start with %q", last, "error: verify iris v1: forest.bin: ")
	}
	if strings.Count(last, "v1") != 1 {
		t.Errorf("error line = %q, want the version named once", last)
	}

	var list []map[string]any
	if err := json.Unmarshal([]byte(stdout), &list); err != nil {
		t.Fatalf("decode %q: %v", stdout, err)
	}
	if len(list) != 2 {
		t.Fatalf("got %d versions, want 2: %s", len(list), stdout)
	}
	if created, ok := list[0]["created_at"]; ok {
		t.Errorf("failed v1 has created_at %v, want the field omitted", created)
	}
	if _, ok := list[1]["created_at"]; !ok {
		t.Errorf("verified v2 = %v, want a created_at", list[1])
	}
}

func TestModelsImport_ArchiveFromOtherProject(t *testing.T) {
	source, target := t.TempDir(), t.TempDir()
	trainSmall(t, source)
	archive := filepath.Join(source, "iris-v1.tar.gz")
	if code, _, stderr := runCLI(t, source, "models", "export", "iris:v1", "-o", archive); code != ExitOK {
		t.Fatalf("export exit code = %d; stderr: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, target, "keys", "generate"); code != ExitOK {
		t.Fatalf("keys generate exit code = %d; stderr: %s", code, stderr)
	}

	code, _, stderr := runCLI(t, target, "models", "import", archive)
	if code != ExitError {
		t.Errorf("import with the wrong key: exit code = %d, want %d; stderr: %s", code, ExitError, stderr)
	}
	last := lastLine(stderr)
	ownKey := filepath.Join(target, "keys", "signing.pub")
	for _, want := range []string{
		archive + ": ",
		"signed by another key",
		"the public key used is " + ownKey + " (keys.public)",
		"an archive from another project needs that project's public key: pass it with --public-key FILE",
	} {
		if !strings.Contains(last, want) {
			t.Errorf("error line = %q, want it to contain %q", last, want)
		}
	}

	sourceKey := filepath.Join(source, "keys", "signing.pub")
	code, _, stderr = runCLI(t, target, "models", "import", archive, "--public-key", sourceKey)
	if code != ExitOK {
		t.Fatalf("import with --public-key: exit code = %d; stderr: %s", code, stderr)
	}
	if want := "imported iris:v1 (signature verified with " + sourceKey + ")"; !strings.Contains(stderr, want) {
		t.Errorf("stderr = %q, want it to contain %q", stderr, want)
	}
}

func TestModelsImport_MissingArchive(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, dir, "keys", "generate"); code != ExitOK {
		t.Fatalf("keys generate exit code = %d; stderr: %s", code, stderr)
	}
	code, _, stderr := runCLI(t, dir, "models", "import", "/nonexistent.tar.gz")
	if code != ExitError {
		t.Errorf("exit code = %d, want %d", code, ExitError)
	}
	if want := "error: open /nonexistent.tar.gz: no such file or directory"; lastLine(stderr) != want {
		t.Errorf("error line = %q, want %q", lastLine(stderr), want)
	}
}
