package registry

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

const (
	pemPrivateKey = "PRIVATE KEY"
	pemPublicKey  = "PUBLIC KEY"
)

// ErrKeyExists is returned by [GenerateKeys] when a key file already exists and
// KeyOptions.Force is false.
var ErrKeyExists = errors.New("key file already exists")

// KeyOptions changes how [GenerateKeys] writes a key pair.
type KeyOptions struct {
	// Force replaces existing key files. Without it an existing file is an error.
	Force bool
}

// GenerateKeyPair writes a new Ed25519 key pair as PEM files and rejects existing files.
// See [GenerateKeys].
func GenerateKeyPair(privatePath, publicPath string) error {
	_, err := GenerateKeys(privatePath, publicPath, KeyOptions{})
	return err
}

// GenerateKeys writes a new Ed25519 key pair and returns its public key. The private key
// is PKCS#8 PEM ("PRIVATE KEY") with file mode 0600, and missing parent directories of it
// are created with mode 0700. The public key is PKIX PEM ("PUBLIC KEY") with mode 0644.
// Unless opts.Force is set, an existing file at either path is an error wrapping
// [ErrKeyExists], and neither file is written.
func GenerateKeys(privatePath, publicPath string, opts KeyOptions) (ed25519.PublicKey, error) {
	if privatePath == publicPath {
		return nil, fmt.Errorf("private and public key paths are both %q: give two different files", privatePath)
	}
	if !opts.Force {
		for _, p := range []string{privatePath, publicPath} {
			if _, err := os.Lstat(p); err == nil {
				return nil, fmt.Errorf("write key %q: %w (use force to replace it)", p, ErrKeyExists)
			}
		}
	}

	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate Ed25519 key: %w", err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}

	if err := os.MkdirAll(filepath.Dir(privatePath), 0o700); err != nil {
		return nil, fmt.Errorf("create key directory: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(publicPath), 0o755); err != nil {
		return nil, fmt.Errorf("create key directory: %w", err)
	}
	privPEM := pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: privDER})
	if err := writeKeyFile(privatePath, privPEM, 0o600, opts.Force); err != nil {
		return nil, err
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: pemPublicKey, Bytes: pubDER})
	if err := writeKeyFile(publicPath, pubPEM, 0o644, opts.Force); err != nil {
		return nil, err
	}
	return pub, nil
}

// writeKeyFile writes data to a synced temporary file next to path and then moves it into
// place. With replace false it links instead of renaming, which fails if path exists, so
// a key created meanwhile by another process is never overwritten.
func writeKeyFile(path string, data []byte, perm os.FileMode, replace bool) error {
	tmp, err := writeTempFile(filepath.Dir(path), filepath.Base(path), data, perm)
	if err != nil {
		return fmt.Errorf("write key %q: %w", path, err)
	}
	defer os.Remove(tmp)

	if replace {
		err = os.Rename(tmp, path)
	} else {
		err = os.Link(tmp, path)
		if errors.Is(err, fs.ErrExist) {
			err = ErrKeyExists
		}
	}
	if err != nil {
		return fmt.Errorf("write key %q: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// LoadPrivateKey reads an Ed25519 private key from a PKCS#8 PEM file.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	der, err := readPEM(path, "private", pemPrivateKey)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("private key %q: invalid PKCS#8 data: %w", path, err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("private key %q: %s key, want Ed25519", path, keyKind(key))
	}
	return priv, nil
}

// LoadPublicKey reads an Ed25519 public key from a PKIX PEM file.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	der, err := readPEM(path, "public", pemPublicKey)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("public key %q: invalid PKIX data: %w", path, err)
	}
	pub, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key %q: %s key, want Ed25519", path, keyKind(key))
	}
	return pub, nil
}

// readPEM returns the DER bytes of the first PEM block in path, which must have type want.
func readPEM(path, kind, want string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s key %q not found (create a key pair with `mlops keys generate`): %w", kind, path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s key: %w", kind, err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s key %q: no PEM block found", kind, path)
	}
	if block.Type != want {
		return nil, fmt.Errorf("%s key %q: PEM type %q, want %q", kind, path, block.Type, want)
	}
	return block.Bytes, nil
}

// keyKind names the algorithm of a parsed key for error messages.
func keyKind(key any) string {
	switch key.(type) {
	case *ecdsa.PrivateKey, *ecdsa.PublicKey:
		return "ECDSA"
	case *rsa.PrivateKey, *rsa.PublicKey:
		return "RSA"
	case *ecdh.PrivateKey, *ecdh.PublicKey:
		return "X25519"
	default:
		return fmt.Sprintf("%T", key)
	}
}

// Fingerprint returns "sha256:" and the hex SHA-256 of the key's PKIX DER encoding. It is
// the same digest as `openssl pkey -pubin -outform DER | sha256sum` prints.
func Fingerprint(pub ed25519.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		// Only a key of the wrong length fails to encode, and it cannot match anything.
		sum := sha256.Sum256(pub)
		return "invalid:" + hex.EncodeToString(sum[:])
	}
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:])
}
