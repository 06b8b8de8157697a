package registry

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in      string
		want    Ref
		wantErr string
	}{
		{in: "iris", want: Ref{Name: "iris"}},
		{in: "iris:v3", want: Ref{Name: "iris", Version: 3}},
		{in: "iris:12", want: Ref{Name: "iris", Version: 12}},
		{in: "iris@production", want: Ref{Name: "iris", Alias: "production"}},
		{in: "my-model.v2_a", want: Ref{Name: "my-model.v2_a"}},
		{in: "", wantErr: `invalid model name ""`},
		{in: "iris:v0", wantErr: `invalid version "v0"`},
		{in: "iris:v03", wantErr: `invalid version "v03"`},
		{in: "iris:latest", wantErr: `invalid version "latest"`},
		{in: "iris:", wantErr: `invalid version ""`},
		{in: "iris@", wantErr: `invalid alias ""`},
		{in: "iris@Prod", wantErr: `invalid alias "Prod"`},
		{in: "iris:v1@prod", wantErr: "either :vN or @alias, not both"},
		{in: "../iris", wantErr: `invalid model name "../iris"`},
		{in: "a/b:v1", wantErr: `invalid model name "a/b"`},
		{in: ".hidden", wantErr: `invalid model name ".hidden"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRef(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseRef(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRef(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseRef(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if back, _ := ParseRef(got.String()); back != got {
				t.Errorf("ParseRef(%q.String()) = %+v, want %+v", got, back, got)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	priv, _ := newKey(t)
	reg := Open(t.TempDir())
	for range 3 {
		publish(t, reg, "iris", modelFiles(), priv)
	}
	publish(t, reg, "wine", modelFiles(), priv)
	if err := reg.SetAlias("iris", "staging", 2); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name        string
		ref         Ref
		wantVersion int
		wantErr     string
	}{
		{"version", Ref{Name: "iris", Version: 1}, 1, ""},
		{"alias", Ref{Name: "iris", Alias: "staging"}, 2, ""},
		{"newest without production", Ref{Name: "iris"}, 3, ""},
		{"missing version", Ref{Name: "iris", Version: 9}, 0, "model iris has no version v9 (versions: v1, v2, v3)"},
		{"missing alias", Ref{Name: "iris", Alias: "canary"}, 0, `model iris has no alias "canary" (aliases: staging -> v2)`},
		{"missing model", Ref{Name: "rose"}, 0, `model "rose" not found in ` + reg.Root + " (models: iris, wine)"},
		{"invalid name", Ref{Name: "../x"}, 0, `invalid model name "../x"`},
		{"both version and alias", Ref{Name: "iris", Version: 1, Alias: "staging"}, 0, "names both version v1 and alias"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, v, err := reg.Resolve(tt.ref)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Resolve(%+v) error = %v, want one containing %q", tt.ref, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve(%+v): %v", tt.ref, err)
			}
			if name != tt.ref.Name || v != tt.wantVersion {
				t.Errorf("Resolve(%+v) = %s v%d, want %s v%d", tt.ref, name, v, tt.ref.Name, tt.wantVersion)
			}
		})
	}

	if err := reg.SetAlias("iris", ProductionAlias, 1); err != nil {
		t.Fatal(err)
	}
	if _, v, err := reg.Resolve(Ref{Name: "iris"}); err != nil || v != 1 {
		t.Errorf("Resolve(iris) with production -> v1 = v%d, %v; want v1", v, err)
	}
}

func TestResolve_NotFoundErrors(t *testing.T) {
	priv, _ := newKey(t)
	reg := Open(t.TempDir())
	publish(t, reg, "iris", modelFiles(), priv)
	for _, ref := range []Ref{{Name: "rose"}, {Name: "iris", Version: 2}, {Name: "iris", Alias: "staging"}} {
		if _, _, err := reg.Resolve(ref); !errors.Is(err, ErrNotFound) {
			t.Errorf("Resolve(%v) error = %v, want ErrNotFound", ref, err)
		}
	}
}

func TestResolve_AliasToRemovedVersion(t *testing.T) {
	priv, _ := newKey(t)
	reg := Open(t.TempDir())
	publish(t, reg, "iris", modelFiles(), priv)
	publish(t, reg, "iris", modelFiles(), priv)
	if err := reg.SetAlias("iris", ProductionAlias, 2); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(reg.Root, "iris", "v2")); err != nil {
		t.Fatal(err)
	}
	_, _, err := reg.Resolve(Ref{Name: "iris"})
	want := "alias iris@production points at v2: model iris has no version v2 (versions: v1)"
	if err == nil || err.Error() != want {
		t.Errorf("Resolve error = %v, want %q", err, want)
	}
}

func TestSetAlias(t *testing.T) {
	priv, _ := newKey(t)
	reg := Open(t.TempDir())
	publish(t, reg, "iris", modelFiles(), priv)
	publish(t, reg, "iris", modelFiles(), priv)

	if err := reg.SetAlias("iris", "production", 1); err != nil {
		t.Fatal(err)
	}
	if err := reg.SetAlias("iris", "staging", 2); err != nil {
		t.Fatal(err)
	}
	if err := reg.SetAlias("iris", "production", 2); err != nil {
		t.Fatal(err)
	}
	got, err := reg.Aliases("iris")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"production": 2, "staging": 2}, got); diff != "" {
		t.Errorf("Aliases differ (-want +got):\n%s", diff)
	}

	errTests := []struct {
		name, model, alias string
		version            int
		wantErr            string
	}{
		{"missing version", "iris", "production", 7, "set alias iris@production: model iris has no version v7 (versions: v1, v2)"},
		{"missing model", "rose", "production", 1, `model "rose" not found`},
		{"invalid alias", "iris", "../x", 1, `invalid alias "../x"`},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			err := reg.SetAlias(tt.model, tt.alias, tt.version)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("SetAlias error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	if left := listDir(t, filepath.Join(reg.Root, "iris")); !cmp.Equal(left, []string{"aliases.json", "v1", "v2"}) {
		t.Errorf("model directory holds %v, want aliases.json v1 v2", left)
	}

	if err := reg.DeleteAlias("iris", "staging"); err != nil {
		t.Fatal(err)
	}
	if err := reg.DeleteAlias("iris", "staging"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second DeleteAlias error = %v, want ErrNotFound", err)
	}
}

func TestAliases_RejectsCorruptFile(t *testing.T) {
	priv, _ := newKey(t)
	reg := Open(t.TempDir())
	publish(t, reg, "iris", modelFiles(), priv)
	path := filepath.Join(reg.Root, "iris", aliasesFile)
	for _, content := range []string{"{", `{"production": 0}`, `{"Bad Alias": 1}`} {
		mustWrite(t, path, []byte(content))
		if _, err := reg.Aliases("iris"); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("Aliases with %s: error %v, want one naming %s", content, err, path)
		}
	}
}

func TestList(t *testing.T) {
	priv, _ := newKey(t)
	reg := Open(t.TempDir())
	reg.MlopsVersion = "0.1.0"
	publish(t, reg, "iris", modelFiles(), priv)
	publish(t, reg, "iris", map[string][]byte{"forest.bin": make([]byte, 100)}, priv)
	if err := reg.SetAlias("iris", "production", 2); err != nil {
		t.Fatal(err)
	}
	removeFile(manifestFile)(t, reg)

	models, err := reg.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(models) != 1 || len(models[0].Versions) != 2 {
		t.Fatalf("List = %+v, want iris with two versions", models)
	}
	v1, v2 := models[0].Versions[0], models[0].Versions[1]
	if v1.Problem == "" || !strings.Contains(v1.Problem, "read manifest of iris v1") {
		t.Errorf("v1 Problem = %q, want the unreadable manifest", v1.Problem)
	}
	want := VersionInfo{Version: 2, CreatedAt: v2.CreatedAt, MlopsVersion: "0.1.0", Files: 1, Size: 100, Aliases: []string{"production"}}
	if diff := cmp.Diff(want, v2); diff != "" {
		t.Errorf("v2 info differs (-want +got):\n%s", diff)
	}
	if v2.CreatedAt.IsZero() {
		t.Error("v2 CreatedAt is zero")
	}
}

func TestModels_EmptyRegistry(t *testing.T) {
	reg := Open(filepath.Join(t.TempDir(), "missing"))
	models, err := reg.Models()
	if err != nil || len(models) != 0 {
		t.Errorf("Models of a missing root = %v, %v; want none and no error", models, err)
	}
}
