package registry

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// maxManifestSize bounds manifest.json and manifest.sig when reading them.
const maxManifestSize = 4 << 20

// Manifest describes one version. Its JSON encoding is the signed content of manifest.json.
type Manifest struct {
	Name         string      `json:"name"`
	Version      int         `json:"version"`
	CreatedAt    time.Time   `json:"created_at"`
	MlopsVersion string      `json:"mlops_version,omitempty"`
	Files        []FileEntry `json:"files"` // sorted by Path
}

// FileEntry is the size and SHA-256 digest of one file of a version.
type FileEntry struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"` // lowercase hex
	Size   int64  `json:"size"`
}

// signature is the JSON content of manifest.sig.
type signature struct {
	Algorithm      string `json:"algorithm"`
	KeyFingerprint string `json:"key_fingerprint"`
	Signature      string `json:"signature"` // standard base64 of the 64-byte signature
}

const signatureAlgorithm = "Ed25519"

// newManifest builds the manifest of files for one version.
func newManifest(name string, version int, files map[string][]byte, created time.Time, mlopsVersion string) *Manifest {
	m := &Manifest{Name: name, Version: version, CreatedAt: created, MlopsVersion: mlopsVersion}
	for path, data := range files {
		sum := sha256.Sum256(data)
		m.Files = append(m.Files, FileEntry{Path: path, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))})
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	return m
}

// encode returns the bytes written to manifest.json.
func (m *Manifest) encode() ([]byte, error) {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return append(data, '\n'), nil
}

// parseManifest decodes manifest.json and checks that its file list is well formed.
func parseManifest(data []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if err := ValidateName(m.Name); err != nil {
		return nil, err
	}
	if m.Version < 1 {
		return nil, fmt.Errorf("invalid version %d", m.Version)
	}
	for i, f := range m.Files {
		if err := validateFileName(f.Path); err != nil {
			return nil, err
		}
		if i > 0 && m.Files[i-1].Path >= f.Path {
			return nil, fmt.Errorf("file list not sorted or has a duplicate at %q", f.Path)
		}
		if b, err := hex.DecodeString(f.SHA256); err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("file %q: invalid sha256 %q", f.Path, f.SHA256)
		}
		if f.Size < 0 {
			return nil, fmt.Errorf("file %q: negative size %d", f.Path, f.Size)
		}
	}
	return &m, nil
}

// sign returns the manifest.sig content for the manifest bytes.
func sign(manifest []byte, key ed25519.PrivateKey) ([]byte, error) {
	pub, ok := key.Public().(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("sign manifest: private key has no Ed25519 public key")
	}
	sig := signature{
		Algorithm:      signatureAlgorithm,
		KeyFingerprint: Fingerprint(pub),
		Signature:      base64.StdEncoding.EncodeToString(ed25519.Sign(key, manifest)),
	}
	data, err := json.MarshalIndent(sig, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode signature: %w", err)
	}
	return append(data, '\n'), nil
}

// parseSignature decodes manifest.sig and returns it with the raw signature bytes.
func parseSignature(data []byte) (*signature, []byte, error) {
	var sig signature
	if err := json.Unmarshal(data, &sig); err != nil {
		return nil, nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if sig.Algorithm != signatureAlgorithm {
		return nil, nil, fmt.Errorf("algorithm %q, want %q", sig.Algorithm, signatureAlgorithm)
	}
	raw, err := base64.StdEncoding.DecodeString(sig.Signature)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid base64 signature: %w", err)
	}
	if len(raw) != ed25519.SignatureSize {
		return nil, nil, fmt.Errorf("signature is %d bytes, want %d", len(raw), ed25519.SignatureSize)
	}
	return &sig, raw, nil
}

// checkSignature verifies manifest against the manifest.sig content with pub. It returns
// a *VerifyError naming the file at fault.
func checkSignature(manifest, sigData []byte, pub ed25519.PublicKey, fail func(file, reason string) error) error {
	sig, raw, err := parseSignature(sigData)
	if err != nil {
		return fail(signatureFile, "malformed: "+err.Error())
	}
	if want := Fingerprint(pub); sig.KeyFingerprint != want {
		return fail(signatureFile, fmt.Sprintf("signed by another key (%s), not by the given public key (%s)", sig.KeyFingerprint, want))
	}
	if !ed25519.Verify(pub, manifest, raw) {
		return fail(manifestFile, "does not match the signature in "+signatureFile+", so the manifest or its signature was changed")
	}
	return nil
}
