package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// parseClients decodes and validates the clients file contents. The result
// is never nil, because reloadLocked treats nil as "not loaded yet".
func parseClients(data []byte) ([]clientRecord, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f clientsFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid JSON: data after the top-level object")
	}
	if f.Version != clientsFileVersion {
		return nil, fmt.Errorf("version %d is not supported, want %d", f.Version, clientsFileVersion)
	}
	seen := make(map[string]bool, len(f.Clients))
	for i, c := range f.Clients {
		if !clientIDPattern.MatchString(c.ID) {
			return nil, fmt.Errorf("client %d: id %q is invalid", i, c.ID)
		}
		if seen[c.ID] {
			return nil, fmt.Errorf("client %q appears twice", c.ID)
		}
		seen[c.ID] = true
		if err := ValidateRoles(c.Roles); err != nil {
			return nil, fmt.Errorf("client %q: %w", c.ID, err)
		}
		if !strings.HasPrefix(c.SecretHash, "$2") {
			return nil, fmt.Errorf("client %q: secret_hash is not a bcrypt hash", c.ID)
		}
	}
	if f.Clients == nil {
		f.Clients = []clientRecord{}
	}
	return f.Clients, nil
}

// saveLocked writes clients to a temporary file in the same directory,
// syncs it and renames it over the clients file, so readers see either the
// old or the new contents.
func (s *ClientStore) saveLocked(clients []clientRecord) error {
	data, err := json.MarshalIndent(clientsFile{Version: clientsFileVersion, Clients: clients}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode clients file: %w", err)
	}
	data = append(data, '\n')

	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(s.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write clients file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename

	if err := writeSynced(tmp, data); err != nil {
		return fmt.Errorf("write clients file %q: %w", tmp.Name(), err)
	}
	if err := keepOwner(tmp, s.path); err != nil {
		return fmt.Errorf("write clients file %q: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("replace clients file: %w", err)
	}
	syncDir(dir)

	info, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("read clients file: %w", err)
	}
	s.clients, s.modTime, s.size = clients, info.ModTime(), info.Size()
	return nil
}

func writeSynced(f *os.File, data []byte) error {
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes the rename durable. It is best effort: some file systems
// do not support syncing a directory, and the rename already happened.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// keepOwner gives the new file the owner of the file it replaces. It matters when
// root edits a file owned by the api container's user (see mlops up): replacing it
// with a root-owned file would lock that user out. Others cannot chown, and need not.
func keepOwner(tmp *os.File, path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil // a new file keeps its creator as owner
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	return os.Chown(tmp.Name(), int(st.Uid), int(st.Gid))
}
