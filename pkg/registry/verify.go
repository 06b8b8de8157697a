package registry

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// VerifyError reports one file of a version that failed verification.
type VerifyError struct {
	Name    string
	Version int
	File    string // file name inside the version directory, such as "forest.bin"
	Reason  string
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("verify %s v%d: %s: %s", e.Name, e.Version, e.File, e.Reason)
}

// Artifact is a verified version with the contents of its files.
type Artifact struct {
	Name           string
	Version        int
	Dir            string
	Files          map[string][]byte // published files, without manifest.json and manifest.sig
	ManifestDigest string            // sha256 hex of manifest.json
	CreatedAt      time.Time
	Manifest       *Manifest
}

// Verify checks a version with pub: the signature of manifest.json, and the size and
// SHA-256 of every listed file, and that the directory holds no other files. A failure is
// a *VerifyError naming the file, or several joined with errors.Join when more than one
// listed file is wrong. A missing model or version wraps [ErrNotFound].
func (r *Registry) Verify(name string, version int, pub ed25519.PublicKey) error {
	dir, err := r.versionDir(name, version)
	if err != nil {
		return err
	}
	_, err = checkVersionDir(dir, name, version, pub, false)
	return err
}

// Load verifies a version like [Registry.Verify] and returns its files. Each file is read
// once, and the returned bytes are the bytes that were verified.
func (r *Registry) Load(name string, version int, pub ed25519.PublicKey) (*Artifact, error) {
	dir, err := r.versionDir(name, version)
	if err != nil {
		return nil, err
	}
	return checkVersionDir(dir, name, version, pub, true)
}

// ReadManifest returns the manifest of a version WITHOUT verifying its signature or
// files. It is meant for listings; use [Registry.Load] before trusting any content.
func (r *Registry) ReadManifest(name string, version int) (*Manifest, error) {
	dir, err := r.versionDir(name, version)
	if err != nil {
		return nil, err
	}
	data, err := readLimited(filepath.Join(dir, manifestFile), maxManifestSize)
	if err != nil {
		return nil, fmt.Errorf("read manifest of %s v%d: %w", name, version, err)
	}
	m, err := parseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("read manifest of %s v%d: %w", name, version, err)
	}
	return m, nil
}

// checkVersionDir verifies the version stored in dir. With keep set it returns the file
// contents in the Artifact. Files are checked only after the signature is, so an
// unverified manifest never decides what is read.
func checkVersionDir(dir, name string, version int, pub ed25519.PublicKey, keep bool) (*Artifact, error) {
	fail := func(file, reason string) error {
		return &VerifyError{Name: name, Version: version, File: file, Reason: reason}
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("verify %s v%d: public key is %d bytes, want %d", name, version, len(pub), ed25519.PublicKeySize)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("verify %s v%d: %w", name, version, err)
	}
	kinds := make(map[string]fs.FileMode, len(entries))
	for _, e := range entries {
		kinds[e.Name()] = e.Type()
	}

	manifestData, err := readControlFile(dir, manifestFile, kinds, fail)
	if err != nil {
		return nil, err
	}
	sigData, err := readControlFile(dir, signatureFile, kinds, fail)
	if err != nil {
		return nil, err
	}
	if err := checkSignature(manifestData, sigData, pub, fail); err != nil {
		return nil, err
	}
	m, err := parseManifest(manifestData)
	if err != nil {
		return nil, fail(manifestFile, "signed but invalid: "+err.Error())
	}
	if m.Name != name || m.Version != version {
		return nil, fail(manifestFile, fmt.Sprintf("describes %s v%d but is stored as %s v%d", m.Name, m.Version, name, version))
	}

	art := &Artifact{Name: name, Version: version, Dir: dir, CreatedAt: m.CreatedAt, Manifest: m}
	sum := sha256.Sum256(manifestData)
	art.ManifestDigest = hex.EncodeToString(sum[:])
	if keep {
		art.Files = make(map[string][]byte, len(m.Files))
	}
	if err := checkFiles(dir, m, kinds, art.Files, fail); err != nil {
		return nil, err
	}
	return art, nil
}

// readControlFile reads manifest.json or manifest.sig from a version directory.
func readControlFile(dir, file string, kinds map[string]fs.FileMode, fail func(string, string) error) ([]byte, error) {
	kind, ok := kinds[file]
	if !ok {
		return nil, fail(file, "missing")
	}
	if !kind.IsRegular() {
		return nil, fail(file, "not a regular file")
	}
	data, err := readLimited(filepath.Join(dir, file), maxManifestSize)
	if err != nil {
		return nil, fail(file, err.Error())
	}
	return data, nil
}

// checkFiles compares the directory entries and file contents with the manifest. It
// stores the contents in keep when keep is not nil.
func checkFiles(dir string, m *Manifest, kinds map[string]fs.FileMode, keep map[string][]byte, fail func(string, string) error) error {
	var problems []error
	listed := make(map[string]bool, len(m.Files))
	for _, f := range m.Files {
		listed[f.Path] = true
	}
	for _, f := range m.Files {
		kind, ok := kinds[f.Path]
		switch {
		case !ok:
			problems = append(problems, fail(f.Path, "listed in the manifest but missing"))
		case !kind.IsRegular():
			problems = append(problems, fail(f.Path, "not a regular file"))
		default:
			data, reason := checkFile(filepath.Join(dir, f.Path), f, keep != nil)
			if reason != "" {
				problems = append(problems, fail(f.Path, reason))
			} else if keep != nil {
				keep[f.Path] = data
			}
		}
	}
	var extra []string
	for file := range kinds {
		if !listed[file] && file != manifestFile && file != signatureFile {
			extra = append(extra, file)
		}
	}
	sort.Strings(extra)
	for _, file := range extra {
		entryType := "file"
		if kinds[file].IsDir() {
			entryType = "directory"
		}
		problems = append(problems, fail(file, "extra "+entryType+" not listed in the manifest"))
	}
	return errors.Join(problems...)
}

// checkFile reads one file, compares its size and digest with want, and returns its
// contents when keep is set. A non-empty reason describes a mismatch.
func checkFile(path string, want FileEntry, keep bool) (data []byte, reason string) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err.Error()
	}
	defer f.Close()

	h := sha256.New()
	var sink io.Writer = h
	var buf *bytes.Buffer
	if keep {
		// The signed size is trusted only as a hint: a manifest signed with a huge size
		// must not make one allocation take the process down.
		capacity := want.Size
		if info, statErr := f.Stat(); statErr == nil && info.Size() < capacity {
			capacity = info.Size()
		}
		buf = bytes.NewBuffer(make([]byte, 0, max(capacity, 0)))
		sink = io.MultiWriter(h, buf)
	}
	// Reading one byte past the expected size detects a longer file without
	// reading all of it.
	n, err := io.Copy(sink, io.LimitReader(f, want.Size+1))
	if err != nil {
		return nil, err.Error()
	}
	if n != want.Size {
		if n > want.Size {
			return nil, fmt.Sprintf("size is more than the %d bytes in the manifest", want.Size)
		}
		return nil, fmt.Sprintf("size is %d bytes, manifest says %d", n, want.Size)
	}
	if got := hexSum(h); got != want.SHA256 {
		return nil, fmt.Sprintf("sha256 is %s, manifest says %s", got, want.SHA256)
	}
	if keep {
		return buf.Bytes(), ""
	}
	return nil, ""
}

func hexSum(h hash.Hash) string {
	return hex.EncodeToString(h.Sum(nil))
}

// readLimited reads a whole file and rejects files larger than limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than the %d-byte limit", limit)
	}
	return data, nil
}
