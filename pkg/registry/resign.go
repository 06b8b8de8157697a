package registry

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
)

// Resign verifies a version with from and then signs its manifest with key, so that a
// version imported from another project verifies with this project's public key.
// The manifest itself is unchanged; only manifest.sig is replaced, atomically.
func (r *Registry) Resign(name string, version int, from ed25519.PublicKey, key ed25519.PrivateKey) error {
	if err := r.Verify(name, version, from); err != nil {
		return err
	}
	dir := filepath.Join(r.Root, name, versionDirName(version))
	manifest, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if err != nil {
		return fmt.Errorf("re-sign %s v%d: %w", name, version, err)
	}
	sig, err := sign(manifest, key)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, signatureFile), sig, 0o644); err != nil {
		return fmt.Errorf("re-sign %s v%d: %w", name, version, err)
	}
	return nil
}
