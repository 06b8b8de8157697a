package registry

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestGenerateKeyPair_WritesLoadableKeys(t *testing.T) {
	dir := t.TempDir()
	privPath := filepath.Join(dir, "keys", "private", "signing.pem")
	pubPath := filepath.Join(dir, "keys", "signing.pub.pem")
	if err := GenerateKeyPair(privPath, pubPath); err != nil {
		t.Fatalf("GenerateKeyPair: %v", err)
	}

	priv, err := LoadPrivateKey(privPath)
	if err != nil {
		t.Fatalf("LoadPrivateKey: %v", err)
	}
	pub, err := LoadPublicKey(pubPath)
	if err != nil {
		t.Fatalf("LoadPublicKey: %v", err)
	}
	sig := ed25519.Sign(priv, []byte("message"))
	if !ed25519.Verify(pub, []byte("message"), sig) {
		t.Error("signature by the loaded private key does not verify with the loaded public key")
	}

	if runtime.GOOS == "windows" {
		return
	}
	assertMode(t, privPath, 0o600)
	assertMode(t, filepath.Dir(privPath), 0o700|os.ModeDir)
	assertMode(t, pubPath, 0o644)
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("Stat(%s): %v", path, err)
	}
	if got := info.Mode(); got != want {
		t.Errorf("mode of %s = %v, want %v", path, got, want)
	}
}

func TestGenerateKeys_RejectsExistingUnlessForced(t *testing.T) {
	dir := t.TempDir()
	privPath := filepath.Join(dir, "signing.pem")
	pubPath := filepath.Join(dir, "signing.pub.pem")
	first, err := GenerateKeys(privPath, pubPath, KeyOptions{})
	if err != nil {
		t.Fatalf("GenerateKeys: %v", err)
	}
	before, _ := os.ReadFile(privPath)

	_, err = GenerateKeys(privPath, pubPath, KeyOptions{})
	if !errors.Is(err, ErrKeyExists) {
		t.Fatalf("second GenerateKeys error = %v, want ErrKeyExists", err)
	}
	if !strings.Contains(err.Error(), privPath) {
		t.Errorf("error %q does not name %s", err, privPath)
	}
	after, _ := os.ReadFile(privPath)
	if string(before) != string(after) {
		t.Error("rejected GenerateKeys changed the private key file")
	}

	second, err := GenerateKeys(privPath, pubPath, KeyOptions{Force: true})
	if err != nil {
		t.Fatalf("GenerateKeys with Force: %v", err)
	}
	if first.Equal(second) {
		t.Error("forced GenerateKeys returned the old public key")
	}
	loaded, err := LoadPublicKey(pubPath)
	if err != nil {
		t.Fatalf("LoadPublicKey: %v", err)
	}
	if !loaded.Equal(second) {
		t.Error("public key file was not replaced by the forced GenerateKeys")
	}
	if runtime.GOOS != "windows" {
		assertMode(t, privPath, 0o600)
	}
}

func TestGenerateKeys_RejectsWhenOnlyPublicExists(t *testing.T) {
	dir := t.TempDir()
	privPath := filepath.Join(dir, "signing.pem")
	pubPath := filepath.Join(dir, "signing.pub.pem")
	if err := os.WriteFile(pubPath, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := GenerateKeyPair(privPath, pubPath); !errors.Is(err, ErrKeyExists) {
		t.Fatalf("GenerateKeyPair error = %v, want ErrKeyExists", err)
	}
	if _, err := os.Stat(privPath); !os.IsNotExist(err) {
		t.Errorf("private key was written although the public key path was taken: %v", err)
	}
}

func TestLoadKey_Errors(t *testing.T) {
	dir := t.TempDir()
	privPath := filepath.Join(dir, "signing.pem")
	pubPath := filepath.Join(dir, "signing.pub.pem")
	if err := GenerateKeyPair(privPath, pubPath); err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPrivDER, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	ecPubDER, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ecPriv := write("ec.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecPrivDER}))
	ecPub := write("ec.pub.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecPubDER}))
	garbage := write("garbage.pem", []byte("not a key"))
	badDER := write("bad.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}))

	tests := []struct {
		name    string
		load    func(string) error
		path    string
		wantMsg string
	}{
		{"private missing", loadPriv, filepath.Join(dir, "nope.pem"), "not found"},
		{"public missing", loadPub, filepath.Join(dir, "nope.pem"), "not found"},
		{"private given public", loadPriv, pubPath, `PEM type "PUBLIC KEY", want "PRIVATE KEY"`},
		{"public given private", loadPub, privPath, `PEM type "PRIVATE KEY", want "PUBLIC KEY"`},
		{"private ecdsa", loadPriv, ecPriv, "ECDSA key, want Ed25519"},
		{"public ecdsa", loadPub, ecPub, "ECDSA key, want Ed25519"},
		{"no pem block", loadPriv, garbage, "no PEM block found"},
		{"invalid der", loadPriv, badDER, "invalid PKCS#8 data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.load(tt.path)
			if err == nil {
				t.Fatal("load succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q does not name the file %s", err, tt.path)
			}
		})
	}
}

func loadPriv(p string) error { _, err := LoadPrivateKey(p); return err }
func loadPub(p string) error  { _, err := LoadPublicKey(p); return err }

func TestFingerprint_DiffersPerKey(t *testing.T) {
	_, a := newKey(t)
	_, b := newKey(t)
	fa, fb := Fingerprint(a), Fingerprint(b)
	if !strings.HasPrefix(fa, "sha256:") || len(fa) != len("sha256:")+64 {
		t.Errorf("Fingerprint = %q, want sha256: and 64 hex digits", fa)
	}
	if fa == fb {
		t.Error("two keys have the same fingerprint")
	}
	if Fingerprint(a) != fa {
		t.Error("Fingerprint is not deterministic")
	}
}
