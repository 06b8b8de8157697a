package registry

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

const (
	// maxArchiveFileSize bounds one model file in an imported archive (1 GiB).
	maxArchiveFileSize = 1 << 30
	// maxArchiveEntries bounds the number of entries in an imported archive.
	maxArchiveEntries = 1024
	// maxArchiveTotalSize bounds all files of an imported archive together (2 GiB),
	// because the files land on disk before the signature can be checked against them.
	maxArchiveTotalSize = 2 << 30
)

// Export writes one version as a gzip-compressed tar archive with the entries
// NAME/vN/, NAME/vN/manifest.json, NAME/vN/manifest.sig and NAME/vN/FILE for each
// listed file. It checks every file against the manifest while writing, so a corrupted
// version is not exported. It does not check the signature, which needs the public key;
// [Registry.Import] does.
func (r *Registry) Export(name string, version int, w io.Writer) error {
	dir, err := r.versionDir(name, version)
	if err != nil {
		return err
	}
	m, err := r.ReadManifest(name, version)
	if err != nil {
		return fmt.Errorf("export %s v%d: %w", name, version, err)
	}

	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	if err := writeVersionEntries(tw, dir, m); err != nil {
		var ve *VerifyError
		if errors.As(err, &ve) {
			return err
		}
		return fmt.Errorf("export %s v%d: %w", name, version, err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("export %s v%d: %w", name, version, err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("export %s v%d: %w", name, version, err)
	}
	return nil
}

// writeVersionEntries writes the directory entry, the manifest, the signature and the
// listed files of the version in dir. A file that does not match m is a *VerifyError.
func writeVersionEntries(tw *tar.Writer, dir string, m *Manifest) error {
	prefix := m.Name + "/" + versionDirName(m.Version) + "/"
	dirHeader := &tar.Header{Typeflag: tar.TypeDir, Name: prefix, Mode: 0o755, ModTime: m.CreatedAt}
	if err := tw.WriteHeader(dirHeader); err != nil {
		return err
	}

	for _, file := range []string{manifestFile, signatureFile} {
		data, err := readLimited(filepath.Join(dir, file), maxManifestSize)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		if err := writeTarFile(tw, prefix+file, data, m); err != nil {
			return err
		}
	}

	for _, f := range m.Files {
		data, reason := checkFile(filepath.Join(dir, f.Path), f, true)
		if reason != "" {
			return &VerifyError{Name: m.Name, Version: m.Version, File: f.Path, Reason: reason}
		}
		if err := writeTarFile(tw, prefix+f.Path, data, m); err != nil {
			return err
		}
	}
	return nil
}

func writeTarFile(tw *tar.Writer, name string, data []byte, m *Manifest) error {
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: m.CreatedAt}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

// Import reads an archive written by [Registry.Export], verifies it with pub and adds the
// version to the registry under the name and number it had. The archive is unpacked into
// a hidden temporary directory and renamed into place only after the signature and all
// digests check out, so a rejected archive leaves the registry unchanged. Entries that
// are not regular files or directories, paths outside NAME/vN/, files over 1 GiB and
// files the manifest does not list are rejected. Importing a version that is already
// present with the same manifest does nothing; a different manifest under the same
// name and version is an error.
func (r *Registry) Import(rd io.Reader, pub ed25519.PublicKey) (name string, version int, err error) {
	if err := os.MkdirAll(r.Root, 0o755); err != nil {
		return "", 0, fmt.Errorf("import: %w", err)
	}
	tmp, err := os.MkdirTemp(r.Root, tempPrefix+"import-*")
	if err != nil {
		return "", 0, fmt.Errorf("import: %w", err)
	}
	defer os.RemoveAll(tmp)

	name, version, err = extractArchive(rd, tmp)
	if err != nil {
		return "", 0, fmt.Errorf("import: %w", err)
	}
	staged := filepath.Join(tmp, name, versionDirName(version))
	if _, err := checkVersionDir(staged, name, version, pub, false); err != nil {
		return "", 0, fmt.Errorf("import rejected: %w", err)
	}
	if err := syncDir(staged); err != nil {
		return "", 0, fmt.Errorf("import: %w", err)
	}
	if err := r.placeImported(staged, name, version); err != nil {
		return "", 0, fmt.Errorf("import %s v%d: %w", name, version, err)
	}
	return name, version, nil
}

// placeImported renames a verified staged version to ROOT/NAME/vN, or accepts an
// existing version with identical manifest bytes.
func (r *Registry) placeImported(staged, name string, version int) error {
	modelDir := filepath.Join(r.Root, name)
	if err := os.MkdirAll(modelDir, 0o755); err != nil {
		return err
	}
	target := filepath.Join(modelDir, versionDirName(version))
	if _, err := os.Lstat(target); err == nil {
		return compareManifests(staged, target)
	}
	if err := os.Rename(staged, target); err != nil {
		if _, statErr := os.Lstat(target); statErr == nil {
			return compareManifests(staged, target)
		}
		return err
	}
	return syncDir(modelDir)
}

// compareManifests returns nil when both version directories have the same
// manifest.json bytes, which means they hold the same files.
func compareManifests(staged, existing string) error {
	a, err := readLimited(filepath.Join(staged, manifestFile), maxManifestSize)
	if err != nil {
		return err
	}
	b, err := readLimited(filepath.Join(existing, manifestFile), maxManifestSize)
	if err != nil {
		return fmt.Errorf("version already exists and its manifest is unreadable: %w", err)
	}
	if !bytes.Equal(a, b) {
		return errors.New("version already exists with a different manifest; it was not replaced")
	}
	return nil
}

// extractArchive unpacks a gzip-compressed tar archive into dest/NAME/vN/ and returns
// NAME and N. It checks the shape of every entry before writing it.
func extractArchive(rd io.Reader, dest string) (name string, version int, err error) {
	gz, err := gzip.NewReader(rd)
	if err != nil {
		return "", 0, fmt.Errorf("read archive: not a gzip-compressed tar file: %w", err)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	seen := map[string]bool{}
	var total int64
	for entries := 0; ; entries++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", 0, fmt.Errorf("read archive: %w", err)
		}
		if entries >= maxArchiveEntries {
			return "", 0, fmt.Errorf("read archive: more than %d entries", maxArchiveEntries)
		}
		entry, err := parseEntry(hdr)
		if err != nil {
			return "", 0, fmt.Errorf("archive entry %q: %w", hdr.Name, err)
		}
		if entry.version == 0 {
			continue // the NAME/ directory entry
		}
		if name == "" {
			name, version = entry.name, entry.version
			if err := os.MkdirAll(filepath.Join(dest, name, versionDirName(version)), 0o755); err != nil {
				return "", 0, err
			}
		} else if entry.name != name || entry.version != version {
			return "", 0, fmt.Errorf("archive entry %q: archive mixes %s v%d with %s v%d", hdr.Name, name, version, entry.name, entry.version)
		}
		if entry.file == "" {
			continue
		}
		if seen[entry.file] {
			return "", 0, fmt.Errorf("archive entry %q: duplicate file", hdr.Name)
		}
		seen[entry.file] = true
		if total += hdr.Size; total > maxArchiveTotalSize {
			return "", 0, fmt.Errorf("read archive: files add up to more than %d bytes", int64(maxArchiveTotalSize))
		}
		path := filepath.Join(dest, name, versionDirName(version), entry.file)
		if err := extractFile(tr, path, hdr.Size); err != nil {
			return "", 0, fmt.Errorf("archive entry %q: %w", hdr.Name, err)
		}
	}
	if name == "" {
		return "", 0, errors.New("read archive: no model version in it")
	}
	return name, version, nil
}

// archiveEntry is the parsed path of an entry: NAME/, NAME/vN/ or NAME/vN/FILE.
type archiveEntry struct {
	name    string
	version int    // 0 for NAME/
	file    string // "" for directory entries
}

func parseEntry(hdr *tar.Header) (archiveEntry, error) {
	p := hdr.Name
	if strings.Contains(p, `\`) || strings.HasPrefix(p, "/") || path.IsAbs(p) {
		return archiveEntry{}, errors.New("absolute or Windows-style path")
	}
	for _, part := range strings.Split(strings.TrimSuffix(p, "/"), "/") {
		if part == ".." || part == "." || part == "" {
			return archiveEntry{}, errors.New("path escapes the archive or is not clean")
		}
	}
	switch hdr.Typeflag {
	case tar.TypeDir, tar.TypeReg:
	case tar.TypeSymlink, tar.TypeLink:
		return archiveEntry{}, fmt.Errorf("link to %q: links are not allowed", hdr.Linkname)
	default:
		return archiveEntry{}, fmt.Errorf("entry type %q is not allowed, only regular files and directories", string(hdr.Typeflag))
	}

	parts := strings.Split(strings.TrimSuffix(p, "/"), "/")
	isDir := hdr.Typeflag == tar.TypeDir
	if len(parts) > 3 || (len(parts) < 3 && !isDir) || (len(parts) == 3 && isDir) {
		return archiveEntry{}, errors.New("unexpected path, want NAME/vN/FILE")
	}
	if err := ValidateName(parts[0]); err != nil {
		return archiveEntry{}, err
	}
	if len(parts) == 1 {
		return archiveEntry{name: parts[0]}, nil
	}
	v, ok := parseVersionDir(parts[1])
	if !ok {
		return archiveEntry{}, fmt.Errorf("invalid version directory %q, want vN", parts[1])
	}
	entry := archiveEntry{name: parts[0], version: v}
	if isDir {
		return entry, nil
	}
	entry.file = parts[2]
	if entry.file != manifestFile && entry.file != signatureFile {
		if err := validateFileName(entry.file); err != nil {
			return archiveEntry{}, err
		}
	}
	limit := int64(maxArchiveFileSize)
	if entry.file == manifestFile || entry.file == signatureFile {
		limit = maxManifestSize
	}
	if hdr.Size > limit {
		return archiveEntry{}, fmt.Errorf("size %d bytes exceeds the limit of %d bytes", hdr.Size, limit)
	}
	return entry, nil
}

// extractFile writes exactly size bytes from r to a new file at path and syncs it.
func extractFile(r io.Reader, path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return errors.New("duplicate file")
	}
	if err != nil {
		return err
	}
	_, err = io.CopyN(f, r, size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
