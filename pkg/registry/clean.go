package registry

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// CleanTemp removes temporary directories and files that publishes and imports left
// behind when their process died, and returns their paths. Only entries whose
// modification time is older than olderThan are removed, so choose olderThan well above
// the longest publish or import in progress in another process.
func (r *Registry) CleanTemp(olderThan time.Duration) ([]string, error) {
	cutoff := time.Now().Add(-olderThan)
	dirs := []string{r.Root}
	entries, err := os.ReadDir(r.Root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("clean temporary files: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() && ValidateName(e.Name()) == nil {
			dirs = append(dirs, filepath.Join(r.Root, e.Name()))
		}
	}

	var removed []string
	for _, dir := range dirs {
		paths, err := removeStale(dir, cutoff)
		removed = append(removed, paths...)
		if err != nil {
			return removed, fmt.Errorf("clean temporary files: %w", err)
		}
	}
	return removed, nil
}

// removeStale removes the entries of dir named with tempPrefix and modified before cutoff.
func removeStale(dir string, cutoff time.Time) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue // gone meanwhile, or possibly still in use
		}
		path := filepath.Join(dir, e.Name())
		if err := os.RemoveAll(path); err != nil {
			return removed, err
		}
		removed = append(removed, path)
	}
	return removed, nil
}
