package registry

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// writeTempFile writes data to a new file named tempPrefix+base+"-*" in dir, syncs it,
// sets perm and returns its path. The caller renames or removes it.
func writeTempFile(dir, base string, data []byte, perm os.FileMode) (string, error) {
	f, err := os.CreateTemp(dir, tempPrefix+base+"-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	if err := writeAndSync(f, data, perm); err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// writeAndSync writes data to f, sets perm, syncs and closes f.
func writeAndSync(f *os.File, data []byte, perm os.FileMode) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeNewFile creates path, which must not exist, and writes and syncs data.
func writeNewFile(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	return writeAndSync(f, data, perm)
}

// writeFileAtomic replaces path with data through a synced temporary file and a rename,
// so readers see either the old or the new content.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := writeTempFile(dir, filepath.Base(path), data, perm)
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %q: %w", path, err)
	}
	return syncDir(dir)
}

// syncDir flushes a directory's entries, which makes a rename inside it durable.
// Windows cannot open directories for syncing, so there it does nothing.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %q: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %q: %w", dir, err)
	}
	return nil
}
