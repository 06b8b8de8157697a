package registry

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestCleanTemp_RemovesOnlyOldTempEntries(t *testing.T) {
	priv, pub := newKey(t)
	reg := Open(t.TempDir())
	publish(t, reg, "iris", modelFiles(), priv)

	old := time.Now().Add(-2 * time.Hour)
	oldStaging := filepath.Join(reg.Root, "iris", tempPrefix+"publish-1")
	oldImport := filepath.Join(reg.Root, tempPrefix+"import-1")
	freshStaging := filepath.Join(reg.Root, "iris", tempPrefix+"publish-2")
	for _, dir := range []string{oldStaging, oldImport, freshStaging} {
		if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range []string{oldStaging, oldImport} {
		if err := os.Chtimes(dir, old, old); err != nil {
			t.Fatal(err)
		}
	}
	// An old version directory must survive.
	if err := os.Chtimes(filepath.Join(reg.Root, "iris", "v1"), old, old); err != nil {
		t.Fatal(err)
	}

	removed, err := reg.CleanTemp(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	want := []string{oldImport, oldStaging}
	slices.Sort(want)
	if !slices.Equal(removed, want) {
		t.Errorf("CleanTemp removed %v, want %v", removed, want)
	}
	if _, err := os.Stat(freshStaging); err != nil {
		t.Errorf("fresh staging directory was removed: %v", err)
	}
	if err := reg.Verify("iris", 1, pub); err != nil {
		t.Errorf("Verify after CleanTemp: %v", err)
	}
}
