package registry

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ErrNotFound is wrapped by errors about a model, version or alias that does not exist.
var ErrNotFound = errors.New("not found")

// notFoundError carries a full message and matches ErrNotFound with errors.Is.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string { return e.msg }
func (e *notFoundError) Is(target error) bool {
	return target == ErrNotFound
}

func notFound(format string, args ...any) error {
	return &notFoundError{msg: fmt.Sprintf(format, args...)}
}

// Registry is a model registry rooted at a directory.
type Registry struct {
	Root string
	// MlopsVersion is recorded in the manifests that Publish writes. Empty leaves it out.
	MlopsVersion string
}

// Open returns the registry rooted at root. The directory is created by the first
// Publish or Import.
func Open(root string) *Registry {
	return &Registry{Root: root}
}

// modelDir returns ROOT/NAME after validating name.
func (r *Registry) modelDir(name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	return filepath.Join(r.Root, name), nil
}

// versionDir returns the directory of an existing version, or an error wrapping
// ErrNotFound that lists the versions that exist.
func (r *Registry) versionDir(name string, version int) (string, error) {
	versions, err := r.Versions(name)
	if err != nil {
		return "", err
	}
	for _, v := range versions {
		if v == version {
			return filepath.Join(r.Root, name, versionDirName(version)), nil
		}
	}
	return "", notFound("model %s has no version v%d (versions: %s)", name, version, formatVersions(versions))
}

// Models returns the names of the models that have at least one version, sorted.
// A missing root directory is an empty registry.
func (r *Registry) Models() ([]string, error) {
	entries, err := os.ReadDir(r.Root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list models: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() || ValidateName(e.Name()) != nil {
			continue
		}
		versions, err := r.Versions(e.Name())
		if err != nil {
			return nil, err
		}
		if len(versions) > 0 {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// Versions returns the version numbers of a model in ascending order. Temporary
// directories of publishes in progress are not versions. A model directory that does
// not exist is an error wrapping ErrNotFound.
func (r *Registry) Versions(name string) ([]int, error) {
	dir, err := r.modelDir(name)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, r.modelNotFound(name)
	}
	if err != nil {
		return nil, fmt.Errorf("list versions of %s: %w", name, err)
	}
	var versions []int
	for _, e := range entries {
		if n, ok := parseVersionDir(e.Name()); ok && e.IsDir() {
			versions = append(versions, n)
		}
	}
	sort.Ints(versions)
	return versions, nil
}

// modelNotFound returns the error for a missing model, listing the models that exist.
func (r *Registry) modelNotFound(name string) error {
	var names []string
	entries, _ := os.ReadDir(r.Root)
	for _, e := range entries {
		if e.IsDir() && ValidateName(e.Name()) == nil {
			names = append(names, e.Name())
		}
	}
	list := "none"
	if len(names) > 0 {
		list = strings.Join(names, ", ")
	}
	return notFound("model %q not found in %s (models: %s)", name, r.Root, list)
}

func formatVersions(versions []int) string {
	if len(versions) == 0 {
		return "none"
	}
	parts := make([]string, len(versions))
	for i, v := range versions {
		parts[i] = versionDirName(v)
	}
	return strings.Join(parts, ", ")
}
