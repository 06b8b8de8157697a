package auth

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writePEM(t *testing.T, dir, name, typ string, der []byte, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile's mode is masked by umask
		t.Fatal(err)
	}
	return path
}

func TestLoadKeysPEM(t *testing.T) {
	dir := t.TempDir()
	rsaPriv, _ := testRSAKeys(t)
	edPriv := testEd25519Key(t)
	edPKCS8, _ := x509.MarshalPKCS8PrivateKey(edPriv)
	edPKIX, _ := x509.MarshalPKIXPublicKey(edPriv.Public())
	rsaPKCS8, _ := x509.MarshalPKCS8PrivateKey(rsaPriv)
	rsaPKIX, _ := x509.MarshalPKIXPublicKey(&rsaPriv.PublicKey)

	privFiles := map[string]string{
		"ed25519 PKCS8": writePEM(t, dir, "ed.key", "PRIVATE KEY", edPKCS8, 0o600),
		"RSA PKCS8":     writePEM(t, dir, "rsa8.key", "PRIVATE KEY", rsaPKCS8, 0o600),
		"RSA PKCS1":     writePEM(t, dir, "rsa1.key", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaPriv), 0o400),
	}
	for name, path := range privFiles {
		key, err := LoadPrivateKeyPEM(path)
		if err != nil {
			t.Errorf("%s: LoadPrivateKeyPEM: %v", name, err)
			continue
		}
		switch k := key.(type) {
		case ed25519.PrivateKey:
			if !k.Equal(edPriv) {
				t.Errorf("%s: loaded key differs", name)
			}
		case *rsa.PrivateKey:
			if !k.Equal(rsaPriv) {
				t.Errorf("%s: loaded key differs", name)
			}
		default:
			t.Errorf("%s: type %T", name, key)
		}
	}

	pubFiles := map[string]string{
		"ed25519 PKIX": writePEM(t, dir, "ed.pub", "PUBLIC KEY", edPKIX, 0o644),
		"RSA PKIX":     writePEM(t, dir, "rsa.pub", "PUBLIC KEY", rsaPKIX, 0o644),
		"RSA PKCS1":    writePEM(t, dir, "rsa1.pub", "RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsaPriv.PublicKey), 0o644),
	}
	for name, path := range pubFiles {
		if _, err := LoadPublicKeyPEM(path); err != nil {
			t.Errorf("%s: LoadPublicKeyPEM: %v", name, err)
		}
	}

	// A loaded key pair works as a Config.
	priv, _ := LoadPrivateKeyPEM(privFiles["ed25519 PKCS8"])
	pub, _ := LoadPublicKeyPEM(pubFiles["ed25519 PKIX"])
	cfg := edConfig(t)
	cfg.Keys = []Key{{ID: "ed1", PrivateKey: priv}}
	raw := mustIssue(t, mustIssuer(t, cfg), "alice", RoleRead)
	cfg.Keys = []Key{{ID: "ed1", PublicKey: pub}}
	if _, err := mustVerifier(t, cfg).Verify(raw); err != nil {
		t.Errorf("verify with loaded PEM keys: %v", err)
	}
}

func TestLoadKeysPEM_Rejects(t *testing.T) {
	dir := t.TempDir()
	edPriv := testEd25519Key(t)
	edPKCS8, _ := x509.MarshalPKCS8PrivateKey(edPriv)
	notPEM := filepath.Join(dir, "garbage")
	if err := os.WriteFile(notPEM, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		load func() error
		want string
	}{
		{"private key readable by others", func() error {
			_, err := LoadPrivateKeyPEM(writePEM(t, dir, "open.key", "PRIVATE KEY", edPKCS8, 0o644))
			return err
		}, "chmod 600"},
		{"private key missing", func() error {
			_, err := LoadPrivateKeyPEM(filepath.Join(dir, "missing.key"))
			return err
		}, "no such file"},
		{"private key not PEM", func() error { _, err := LoadPrivateKeyPEM(notPEM); return err }, "no PEM block"},
		{"private key wrong block", func() error {
			_, err := LoadPrivateKeyPEM(writePEM(t, dir, "cert.key", "CERTIFICATE", []byte{1}, 0o600))
			return err
		}, `"CERTIFICATE"`},
		{"private key corrupt", func() error {
			_, err := LoadPrivateKeyPEM(writePEM(t, dir, "bad.key", "PRIVATE KEY", []byte{1, 2, 3}, 0o600))
			return err
		}, "parse private key"},
		{"public key not PEM", func() error { _, err := LoadPublicKeyPEM(notPEM); return err }, "no PEM block"},
		{"public key given a private key", func() error {
			_, err := LoadPublicKeyPEM(writePEM(t, dir, "priv.pub", "PRIVATE KEY", edPKCS8, 0o600))
			return err
		}, "want PUBLIC KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.load()
			if err == nil {
				t.Fatalf("no error, want one mentioning %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}
