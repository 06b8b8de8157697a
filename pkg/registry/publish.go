package registry

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// maxPublishAttempts bounds how often Publish retries when concurrent publishers keep
// taking the version number it picked.
const maxPublishAttempts = 1000

// beforeCommit, when set by a test, runs after a version is staged and before it is
// renamed into place. A test uses it to simulate a crash at that point.
var beforeCommit func(stagingDir string, version int) error

// Publish stores files as the next version of the model and returns its number. The
// files are written to a temporary directory inside the model directory, synced, signed
// and renamed to vN, so no partial version is ever visible. When another publisher takes
// vN first, Publish signs again as the next free number and retries.
func (r *Registry) Publish(name string, files map[string][]byte, key ed25519.PrivateKey) (int, error) {
	modelDir, err := r.modelDir(name)
	if err != nil {
		return 0, err
	}
	if err := validatePublish(files, key); err != nil {
		return 0, fmt.Errorf("publish %s: %w", name, err)
	}
	if err := os.MkdirAll(modelDir, 0o755); err != nil {
		return 0, fmt.Errorf("publish %s: %w", name, err)
	}
	staging, err := os.MkdirTemp(modelDir, tempPrefix+"publish-*")
	if err != nil {
		return 0, fmt.Errorf("publish %s: %w", name, err)
	}
	defer os.RemoveAll(staging) // a no-op after the rename succeeds
	// MkdirTemp creates mode 0700, but a server running as another user must read
	// the version.
	if err := os.Chmod(staging, 0o755); err != nil {
		return 0, fmt.Errorf("publish %s: %w", name, err)
	}

	for _, path := range sortedKeys(files) {
		if err := writeNewFile(filepath.Join(staging, path), files[path], 0o644); err != nil {
			return 0, fmt.Errorf("publish %s: %w", name, err)
		}
	}
	created := time.Now().UTC()
	version, err := r.commitVersion(name, modelDir, staging, func(v int) *Manifest {
		return newManifest(name, v, files, created, r.MlopsVersion)
	}, key)
	if err != nil {
		return 0, fmt.Errorf("publish %s: %w", name, err)
	}
	return version, nil
}

// commitVersion signs the staged files as the next free version and renames the
// staging directory to it, retrying with a higher number when the rename loses a race.
func (r *Registry) commitVersion(name, modelDir, staging string, build func(int) *Manifest, key ed25519.PrivateKey) (int, error) {
	version := 0
	for range maxPublishAttempts {
		versions, err := r.Versions(name)
		if err != nil {
			return 0, err
		}
		version = max(version+1, nextVersion(versions))
		if err := stageManifest(staging, build(version), key); err != nil {
			return 0, err
		}
		if beforeCommit != nil {
			if err := beforeCommit(staging, version); err != nil {
				return 0, err
			}
		}
		target := filepath.Join(modelDir, versionDirName(version))
		err = os.Rename(staging, target)
		if err == nil {
			return version, syncDir(modelDir)
		}
		// Linux reports a non-empty target as ENOTEMPTY or EEXIST, other systems
		// differ, so check for the target itself.
		if _, statErr := os.Lstat(target); statErr != nil {
			return 0, fmt.Errorf("rename %s to %s: %w", staging, target, err)
		}
	}
	return 0, fmt.Errorf("no free version number after %d attempts", maxPublishAttempts)
}

// stageManifest writes manifest.json and manifest.sig into the staging directory,
// replacing those of an earlier attempt, and syncs the directory.
func stageManifest(staging string, m *Manifest, key ed25519.PrivateKey) error {
	data, err := m.encode()
	if err != nil {
		return err
	}
	sig, err := sign(data, key)
	if err != nil {
		return err
	}
	for file, content := range map[string][]byte{manifestFile: data, signatureFile: sig} {
		path := filepath.Join(staging, file)
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := writeNewFile(path, content, 0o644); err != nil {
			return err
		}
	}
	return syncDir(staging)
}

// validatePublish checks the arguments of Publish before anything is written.
func validatePublish(files map[string][]byte, key ed25519.PrivateKey) error {
	if len(key) != ed25519.PrivateKeySize {
		return fmt.Errorf("signing key is %d bytes, want an Ed25519 private key of %d", len(key), ed25519.PrivateKeySize)
	}
	if len(files) == 0 {
		return errors.New("no files to publish")
	}
	for path := range files {
		if err := validateFileName(path); err != nil {
			return err
		}
	}
	return nil
}

func nextVersion(versions []int) int {
	if len(versions) == 0 {
		return 1
	}
	return versions[len(versions)-1] + 1
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
