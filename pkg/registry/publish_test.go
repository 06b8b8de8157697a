package registry

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestPublish_CountsUpAndLists(t *testing.T) {
	priv, _ := newKey(t)
	reg := Open(t.TempDir())
	for want := 1; want <= 3; want++ {
		if got := publish(t, reg, "iris", modelFiles(), priv); got != want {
			t.Fatalf("Publish = v%d, want v%d", got, want)
		}
	}
	publish(t, reg, "wine", modelFiles(), priv)

	versions, err := reg.Versions("iris")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(versions, []int{1, 2, 3}) {
		t.Errorf("Versions(iris) = %v, want [1 2 3]", versions)
	}
	models, err := reg.Models()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(models, []string{"iris", "wine"}) {
		t.Errorf("Models = %v, want [iris wine]", models)
	}
	if left := listDir(t, filepath.Join(reg.Root, "iris")); !slices.Equal(left, []string{"v1", "v2", "v3"}) {
		t.Errorf("model directory holds %v, want only v1 v2 v3", left)
	}
	if runtime.GOOS != "windows" {
		assertMode(t, filepath.Join(reg.Root, "iris", "v1"), 0o755|os.ModeDir)
		assertMode(t, versionPath(reg, "iris", 1, "forest.bin"), 0o644)
		assertMode(t, versionPath(reg, "iris", 1, manifestFile), 0o644)
	}
}

func TestPublish_RejectsBadInput(t *testing.T) {
	priv, _ := newKey(t)
	tests := []struct {
		name    string
		model   string
		files   map[string][]byte
		key     []byte
		wantMsg string
	}{
		{"path traversal name", "../evil", modelFiles(), priv, `invalid model name "../evil"`},
		{"uppercase name", "Iris", modelFiles(), priv, `invalid model name "Iris"`},
		{"empty name", "", modelFiles(), priv, `invalid model name ""`},
		{"no files", "iris", nil, priv, "no files to publish"},
		{"file in subdirectory", "iris", map[string][]byte{"a/b": nil}, priv, `invalid file name "a/b"`},
		{"dot dot file", "iris", map[string][]byte{"..": nil}, priv, `invalid file name ".."`},
		{"reserved file", "iris", map[string][]byte{"manifest.json": nil}, priv, "reserved"},
		{"missing key", "iris", modelFiles(), nil, "signing key is 0 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			_, err := Open(root).Publish(tt.model, tt.files, tt.key)
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("Publish error = %v, want one containing %q", err, tt.wantMsg)
			}
			if left := listDir(t, root); len(left) != 0 && !slices.Equal(left, []string{"iris"}) {
				t.Errorf("rejected Publish left %v in the root", left)
			}
		})
	}
}

func TestPublish_ConcurrentGoroutinesGetDistinctVersions(t *testing.T) {
	priv, pub := newKey(t)
	reg := Open(t.TempDir())
	const writers = 16
	versions := make([]int, writers)
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			files := map[string][]byte{"forest.bin": []byte("writer " + strconv.Itoa(i))}
			versions[i], errs[i] = reg.Publish("iris", files, priv)
		})
	}
	wg.Wait()

	for i, err := range errs {
		if err != nil {
			t.Fatalf("Publish by writer %d: %v", i, err)
		}
	}
	assertDistinctVersions(t, reg, versions, writers)
	for v := 1; v <= writers; v++ {
		art, err := reg.Load("iris", v, pub)
		if err != nil {
			t.Fatalf("Load(iris, %d): %v", v, err)
		}
		writer, _ := strconv.Atoi(strings.TrimPrefix(string(art.Files["forest.bin"]), "writer "))
		if versions[writer] != v {
			t.Errorf("v%d holds the files of writer %d, which got v%d", v, writer, versions[writer])
		}
	}
}

func assertDistinctVersions(t *testing.T, reg *Registry, got []int, n int) {
	t.Helper()
	sorted := slices.Clone(got)
	slices.Sort(sorted)
	want := make([]int, n)
	for i := range want {
		want[i] = i + 1
	}
	if !slices.Equal(sorted, want) {
		t.Errorf("versions returned = %v, want each of 1..%d once", sorted, n)
	}
	listed, err := reg.Versions("iris")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(listed, want) {
		t.Errorf("Versions = %v, want 1..%d", listed, n)
	}
	for _, name := range listDir(t, filepath.Join(reg.Root, "iris")) {
		if strings.HasPrefix(name, tempPrefix) {
			t.Errorf("temporary directory %s left behind", name)
		}
	}
}

// The helper process publishes when MLOPS_REGISTRY_HELPER is set, and is otherwise a no-op
// test. The parent tests start it through os.Args[0].
const helperEnv = "MLOPS_REGISTRY_HELPER"

func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return
	}
	priv, err := LoadPrivateKey(os.Getenv("HELPER_KEY"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	reg := Open(os.Getenv("HELPER_ROOT"))
	if mode == "crash" {
		// Simulates a process killed after staging a complete version but before
		// the rename: exit without any cleanup.
		beforeCommit = func(string, int) error { os.Exit(3); return nil }
	}
	count, _ := strconv.Atoi(os.Getenv("HELPER_COUNT"))
	for i := range count {
		v, err := reg.Publish("iris", map[string][]byte{"forest.bin": []byte(fmt.Sprint(os.Getpid(), i))}, priv)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(v)
	}
	os.Exit(0)
}

func startHelper(t *testing.T, mode, root, keyPath string, count int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "HELPER_ROOT="+root, "HELPER_KEY="+keyPath,
		"HELPER_COUNT="+strconv.Itoa(count))
	return cmd
}

func writePrivateKey(t *testing.T, dir string) (string, []byte) {
	t.Helper()
	priv, pub := newKey(t)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "signing.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, pub
}

func TestPublish_ConcurrentProcessesGetDistinctVersions(t *testing.T) {
	root := t.TempDir()
	keyPath, pub := writePrivateKey(t, t.TempDir())
	const procs, each = 4, 5
	outputs := make([][]byte, procs)
	errs := make([]error, procs)
	var wg sync.WaitGroup
	for i := range procs {
		cmd := startHelper(t, "publish", root, keyPath, each)
		wg.Go(func() { outputs[i], errs[i] = cmd.Output() })
	}
	wg.Wait()

	var versions []int
	for i := range procs {
		if errs[i] != nil {
			var exitErr *exec.ExitError
			if errors.As(errs[i], &exitErr) {
				t.Fatalf("helper %d: %v: %s", i, errs[i], exitErr.Stderr)
			}
			t.Fatalf("helper %d: %v", i, errs[i])
		}
		for _, line := range strings.Fields(string(outputs[i])) {
			v, err := strconv.Atoi(line)
			if err != nil {
				t.Fatalf("helper %d printed %q, want a version number", i, line)
			}
			versions = append(versions, v)
		}
	}
	reg := Open(root)
	assertDistinctVersions(t, reg, versions, procs*each)
	for v := 1; v <= procs*each; v++ {
		if err := reg.Verify("iris", v, pub); err != nil {
			t.Errorf("Verify(iris, %d): %v", v, err)
		}
	}
}

func TestPublish_InterruptedProcessLeavesNoVersion(t *testing.T) {
	root := t.TempDir()
	keyPath, pub := writePrivateKey(t, t.TempDir())
	priv, err := LoadPrivateKey(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	reg := Open(root)
	publish(t, reg, "iris", modelFiles(), priv)

	err = startHelper(t, "crash", root, keyPath, 1).Run()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
		t.Fatalf("crashing helper returned %v, want exit status 3", err)
	}
	staged := 0
	for _, name := range listDir(t, filepath.Join(root, "iris")) {
		if strings.HasPrefix(name, tempPrefix) {
			staged++
		}
	}
	if staged != 1 {
		t.Fatalf("found %d staging directories after the crash, want 1 (the test no longer simulates a crash)", staged)
	}

	versions, err := reg.Versions("iris")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(versions, []int{1}) {
		t.Errorf("Versions after a crashed publish = %v, want [1]", versions)
	}
	if v := publish(t, reg, "iris", modelFiles(), priv); v != 2 {
		t.Errorf("Publish after a crashed publish = v%d, want v2", v)
	}
	if err := reg.Verify("iris", 2, pub); err != nil {
		t.Errorf("Verify(iris, 2): %v", err)
	}
}

func TestPublish_FailedCommitCleansUp(t *testing.T) {
	priv, _ := newKey(t)
	reg := Open(t.TempDir())
	beforeCommit = func(string, int) error { return errors.New("disk full") }
	t.Cleanup(func() { beforeCommit = nil })

	_, err := reg.Publish("iris", modelFiles(), priv)
	if err == nil || !strings.Contains(err.Error(), "publish iris: disk full") {
		t.Fatalf("Publish error = %v, want it to wrap the commit failure", err)
	}
	if left := listDir(t, filepath.Join(reg.Root, "iris")); len(left) != 0 {
		t.Errorf("failed Publish left %v", left)
	}
	if models, _ := reg.Models(); len(models) != 0 {
		t.Errorf("Models after a failed Publish = %v, want none", models)
	}
}

func TestPublish_SkipsVersionTakenDuringCommit(t *testing.T) {
	priv, pub := newKey(t)
	reg := Open(t.TempDir())
	other := Open(reg.Root)
	// The first attempt picks v1, then another publisher takes v1 before the rename.
	beforeCommit = func(_ string, v int) error {
		if v == 1 {
			beforeCommit = nil
			publish(t, other, "iris", modelFiles(), priv)
		}
		return nil
	}
	t.Cleanup(func() { beforeCommit = nil })

	v, err := reg.Publish("iris", map[string][]byte{"forest.bin": []byte("late")}, priv)
	if err != nil {
		t.Fatal(err)
	}
	if v != 2 {
		t.Fatalf("Publish that lost the race for v1 = v%d, want v2", v)
	}
	art, err := reg.Load("iris", 2, pub)
	if err != nil {
		t.Fatalf("Load(iris, 2): %v", err)
	}
	if art.Manifest.Version != 2 || string(art.Files["forest.bin"]) != "late" {
		t.Errorf("v2 holds manifest version %d and %q, want 2 and \"late\"", art.Manifest.Version, art.Files["forest.bin"])
	}
}
