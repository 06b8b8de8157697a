package registry

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
)

func newKey(t testing.TB) (ed25519.PrivateKey, ed25519.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	return priv, pub
}

// modelFiles returns a file set shaped like a trained model.
func modelFiles() map[string][]byte {
	return map[string][]byte{
		"model.json":    []byte(`{"features":["a","b"],"classes":["x","y"]}`),
		"forest.bin":    []byte("\x00\x01\x02forest-bytes\xff"),
		"metadata.json": []byte(`{"seed":42}`),
	}
}

func publish(t testing.TB, reg *Registry, name string, files map[string][]byte, key ed25519.PrivateKey) int {
	t.Helper()
	v, err := reg.Publish(name, files, key)
	if err != nil {
		t.Fatalf("Publish(%q): %v", name, err)
	}
	return v
}

// listDir returns the entry names of dir, or nil when it does not exist.
func listDir(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("ReadDir(%s): %v", dir, err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func versionPath(reg *Registry, name string, version int, file string) string {
	return filepath.Join(reg.Root, name, versionDirName(version), file)
}
