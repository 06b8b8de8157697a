package registry

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoad_ReturnsPublishedFiles(t *testing.T) {
	priv, pub := newKey(t)
	reg := Open(t.TempDir())
	reg.MlopsVersion = "1.2.3"
	files := modelFiles()
	v := publish(t, reg, "iris", files, priv)
	if v != 1 {
		t.Fatalf("first Publish = v%d, want v1", v)
	}

	art, err := reg.Load("iris", 1, pub)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if diff := cmp.Diff(files, art.Files); diff != "" {
		t.Errorf("Load files differ (-published +loaded):\n%s", diff)
	}
	manifest, _ := os.ReadFile(versionPath(reg, "iris", 1, manifestFile))
	if want := sha256Hex(manifest); art.ManifestDigest != want {
		t.Errorf("ManifestDigest = %s, want %s", art.ManifestDigest, want)
	}
	if art.CreatedAt.IsZero() {
		t.Error("CreatedAt is zero")
	}
	if art.Manifest.MlopsVersion != "1.2.3" {
		t.Errorf("manifest mlops_version = %q, want 1.2.3", art.Manifest.MlopsVersion)
	}
	if err := reg.Verify("iris", 1, pub); err != nil {
		t.Errorf("Verify of an untouched version: %v", err)
	}
}

func sha256Hex(data []byte) string {
	m := newManifest("x", 1, map[string][]byte{"f": data}, time.Time{}, "")
	return m.Files[0].SHA256
}

// tamperCase changes one published version (iris v1) and states the expected failure.
type tamperCase struct {
	name    string
	tamper  func(t *testing.T, reg *Registry)
	file    string // VerifyError.File wanted; "" accepts any file if message contains
	message string // substring wanted in the error text
}

func TestVerify_DetectsTampering(t *testing.T) {
	priv, pub := newKey(t)
	otherPriv, _ := newKey(t)
	published := []string{"forest.bin", "metadata.json", "model.json"}

	var cases []tamperCase
	for _, file := range append(published, manifestFile) {
		for _, pos := range []string{"first", "middle", "last"} {
			cases = append(cases, tamperCase{
				name:    "flip " + pos + " byte of " + file,
				tamper:  flipByte(file, pos),
				file:    file,
				message: file,
			})
		}
	}
	for _, pos := range []string{"first", "middle", "last"} {
		// A flipped byte in manifest.sig breaks its JSON, its fingerprint or its
		// signature, and each of these messages names manifest.sig.
		cases = append(cases, tamperCase{
			name: "flip " + pos + " byte of manifest.sig", tamper: flipByte(signatureFile, pos), message: signatureFile,
		})
	}
	for _, file := range append(published, manifestFile, signatureFile) {
		cases = append(cases, tamperCase{
			name: "missing " + file, tamper: removeFile(file), file: file, message: "missing",
		})
	}
	cases = append(cases,
		tamperCase{"extra file", writeFile("notes.txt", []byte("hi")), "notes.txt", "extra file not listed"},
		tamperCase{"extra directory", makeDir("sub"), "sub", "extra directory not listed"},
		tamperCase{"appended byte", appendByte("forest.bin"), "forest.bin", "size is more than"},
		tamperCase{"truncated file", truncate("model.json"), "model.json", "size is"},
		tamperCase{"same size different content", replaceSameSize("metadata.json"), "metadata.json", "sha256 is"},
		tamperCase{"manifest re-signed by another key", resign(otherPriv, nil, ""), signatureFile, "signed by another key"},
		tamperCase{
			"changed manifest re-signed with forged fingerprint",
			resign(otherPriv, dropFirstFile, Fingerprint(pub)), manifestFile, "does not match",
		},
		tamperCase{"changed manifest keeps old signature", editManifest(dropFirstFile), manifestFile, "does not match"},
		tamperCase{"manifest of another version", copyVersionManifest(priv), manifestFile, "describes iris v2 but is stored as iris v1"},
		tamperCase{"malformed signature file", writeFile(signatureFile, []byte("{}")), signatureFile, "malformed"},
	)
	if runtime.GOOS != "windows" {
		cases = append(cases, tamperCase{"file replaced by symlink", symlinkFile("forest.bin"), "forest.bin", "not a regular file"})
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg := Open(t.TempDir())
			publish(t, reg, "iris", modelFiles(), priv)
			tc.tamper(t, reg)

			assertVerifyError(t, "Verify", reg.Verify("iris", 1, pub), tc)
			_, err := reg.Load("iris", 1, pub)
			assertVerifyError(t, "Load", err, tc)
		})
	}
}

func assertVerifyError(t *testing.T, call string, err error, tc tamperCase) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s succeeded on a tampered version, want an error", call)
	}
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("%s error %q is not a *VerifyError", call, err)
	}
	if tc.file != "" && ve.File != tc.file {
		t.Errorf("%s error names file %q, want %q (error: %v)", call, ve.File, tc.file, err)
	}
	if !strings.Contains(err.Error(), tc.message) {
		t.Errorf("%s error %q does not contain %q", call, err, tc.message)
	}
	if !strings.Contains(err.Error(), "iris v1") {
		t.Errorf("%s error %q does not name iris v1", call, err)
	}
}

func TestVerify_ReportsEveryBadFile(t *testing.T) {
	priv, pub := newKey(t)
	reg := Open(t.TempDir())
	publish(t, reg, "iris", modelFiles(), priv)
	flipByte("forest.bin", "first")(t, reg)
	removeFile("model.json")(t, reg)

	err := reg.Verify("iris", 1, pub)
	for _, want := range []string{"forest.bin: sha256 is", "model.json: listed in the manifest but missing"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Verify error %v does not contain %q", err, want)
		}
	}
}

func TestVerify_WrongPublicKey(t *testing.T) {
	priv, _ := newKey(t)
	_, otherPub := newKey(t)
	reg := Open(t.TempDir())
	publish(t, reg, "iris", modelFiles(), priv)
	err := reg.Verify("iris", 1, otherPub)
	assertVerifyError(t, "Verify", err, tamperCase{file: signatureFile, message: "signed by another key"})
}

func TestVerify_MissingVersion(t *testing.T) {
	priv, pub := newKey(t)
	reg := Open(t.TempDir())
	publish(t, reg, "iris", modelFiles(), priv)
	err := reg.Verify("iris", 4, pub)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Verify(iris, 4) error = %v, want ErrNotFound", err)
	}
	if want := "model iris has no version v4 (versions: v1)"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

// Tamper helpers. Each returns a function that changes iris v1 in place.

func flipByte(file, pos string) func(*testing.T, *Registry) {
	return func(t *testing.T, reg *Registry) {
		path := versionPath(reg, "iris", 1, file)
		data := mustRead(t, path)
		i := map[string]int{"first": 0, "middle": len(data) / 2, "last": len(data) - 1}[pos]
		data[i] ^= 0x01
		mustWrite(t, path, data)
	}
}

func removeFile(file string) func(*testing.T, *Registry) {
	return func(t *testing.T, reg *Registry) {
		if err := os.Remove(versionPath(reg, "iris", 1, file)); err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(file string, data []byte) func(*testing.T, *Registry) {
	return func(t *testing.T, reg *Registry) {
		mustWrite(t, versionPath(reg, "iris", 1, file), data)
	}
}

func makeDir(dir string) func(*testing.T, *Registry) {
	return func(t *testing.T, reg *Registry) {
		if err := os.Mkdir(versionPath(reg, "iris", 1, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func appendByte(file string) func(*testing.T, *Registry) {
	return func(t *testing.T, reg *Registry) {
		path := versionPath(reg, "iris", 1, file)
		mustWrite(t, path, append(mustRead(t, path), 'x'))
	}
}

func truncate(file string) func(*testing.T, *Registry) {
	return func(t *testing.T, reg *Registry) {
		path := versionPath(reg, "iris", 1, file)
		data := mustRead(t, path)
		mustWrite(t, path, data[:len(data)-1])
	}
}

func replaceSameSize(file string) func(*testing.T, *Registry) {
	return func(t *testing.T, reg *Registry) {
		path := versionPath(reg, "iris", 1, file)
		mustWrite(t, path, bytes.Repeat([]byte("z"), len(mustRead(t, path))))
	}
}

func symlinkFile(file string) func(*testing.T, *Registry) {
	return func(t *testing.T, reg *Registry) {
		path := versionPath(reg, "iris", 1, file)
		copyPath := filepath.Join(reg.Root, "copy")
		mustWrite(t, copyPath, mustRead(t, path))
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(copyPath, path); err != nil {
			t.Fatal(err)
		}
	}
}

func dropFirstFile(m *Manifest) { m.Files = m.Files[1:] }

// editManifest rewrites manifest.json through edit and keeps the old signature.
func editManifest(edit func(*Manifest)) func(*testing.T, *Registry) {
	return func(t *testing.T, reg *Registry) {
		path := versionPath(reg, "iris", 1, manifestFile)
		m, err := parseManifest(mustRead(t, path))
		if err != nil {
			t.Fatal(err)
		}
		edit(m)
		data, _ := m.encode()
		mustWrite(t, path, data)
	}
}

// resign applies edit (if any) to the manifest and signs it with key. A non-empty
// fingerprint replaces the one in manifest.sig, as an attacker would.
func resign(key ed25519.PrivateKey, edit func(*Manifest), fingerprint string) func(*testing.T, *Registry) {
	return func(t *testing.T, reg *Registry) {
		if edit != nil {
			editManifest(edit)(t, reg)
		}
		data := mustRead(t, versionPath(reg, "iris", 1, manifestFile))
		sigData, err := sign(data, key)
		if err != nil {
			t.Fatal(err)
		}
		if fingerprint != "" {
			var sig signature
			if err := json.Unmarshal(sigData, &sig); err != nil {
				t.Fatal(err)
			}
			sig.KeyFingerprint = fingerprint
			sigData, _ = json.Marshal(sig)
		}
		mustWrite(t, versionPath(reg, "iris", 1, signatureFile), sigData)
	}
}

// copyVersionManifest publishes v2 with the same files and copies its validly signed
// manifest into v1.
func copyVersionManifest(key ed25519.PrivateKey) func(*testing.T, *Registry) {
	return func(t *testing.T, reg *Registry) {
		publish(t, reg, "iris", modelFiles(), key)
		for _, f := range []string{manifestFile, signatureFile} {
			mustWrite(t, versionPath(reg, "iris", 1, f), mustRead(t, versionPath(reg, "iris", 2, f)))
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustWrite(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLoad_SignedHugeSizeFailsCleanly covers a manifest signed by the right key that
// claims a file of 32 TiB: Load must report the size mismatch, not try to allocate it.
func TestLoad_SignedHugeSizeFailsCleanly(t *testing.T) {
	priv, pub := newKey(t)
	reg := Open(t.TempDir())
	v := publish(t, reg, "iris", modelFiles(), priv)

	m, err := reg.ReadManifest("iris", v)
	if err != nil {
		t.Fatal(err)
	}
	m.Files[0].Size = 1 << 45
	raw, err := m.encode()
	if err != nil {
		t.Fatal(err)
	}
	sig, err := sign(raw, priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(versionPath(reg, "iris", v, manifestFile), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(versionPath(reg, "iris", v, signatureFile), sig, 0o644); err != nil {
		t.Fatal(err)
	}

	_, err = reg.Load("iris", v, pub)
	if err == nil || !strings.Contains(err.Error(), "size is") {
		t.Errorf("Load = %v, want a size mismatch naming %s", err, m.Files[0].Path)
	}
}

func TestResign_AdoptsAnotherProjectsVersion(t *testing.T) {
	otherPriv, otherPub := newKey(t)
	ownPriv, ownPub := newKey(t)
	reg := Open(t.TempDir())
	v := publish(t, reg, "iris", modelFiles(), otherPriv)

	if err := reg.Verify("iris", v, ownPub); err == nil {
		t.Fatal("Verify with this project's key passed before re-signing")
	}
	if err := reg.Resign("iris", v, ownPub, ownPriv); err == nil {
		t.Error("Resign accepted a version that does not verify with the given key")
	}
	if err := reg.Resign("iris", v, otherPub, ownPriv); err != nil {
		t.Fatalf("Resign: %v", err)
	}
	if err := reg.Verify("iris", v, ownPub); err != nil {
		t.Errorf("Verify with this project's key after re-signing: %v", err)
	}
}
