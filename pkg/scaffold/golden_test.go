package scaffold

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenFiles renders a default project with fixed secrets and password hash,
// so that the output depends on the templates alone.
func goldenFiles(t *testing.T) []File {
	t.Helper()
	opts, err := normalize(Options{Dir: "/srv/demo", Version: "1.0.0"})
	if err != nil {
		t.Fatalf("normalize: %v", err)
	}
	var env []envVar
	for _, key := range EnvKeys() {
		env = append(env, envVar{key, "golden-" + key})
	}
	credential := "admin:$2a$10$goldengoldengoldengoldeOgoldengoldengoldengoldengolden"
	files, err := renderFiles(newTemplateData(opts, env, credential))
	if err != nil {
		t.Fatalf("renderFiles: %v", err)
	}
	return files
}

func TestRender_Golden(t *testing.T) {
	root := filepath.Join("testdata", "golden")
	for _, f := range goldenFiles(t) {
		if filepath.Ext(f.Path) == ".csv" {
			continue // copied data, not a template
		}
		path := filepath.Join(root, filepath.FromSlash(f.Path)+".golden")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("read golden file for %s: %v (run go test ./pkg/scaffold -run Golden -update)", f.Path, err)
			continue
		}
		if string(want) != string(f.Data) {
			t.Errorf("%s differs from %s; review with -update and git diff", f.Path, path)
		}
	}
}
