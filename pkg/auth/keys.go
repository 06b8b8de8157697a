package auth

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
)

// LoadPrivateKeyPEM reads an Ed25519 or RSA private key from a PEM file
// (PKCS #8 "PRIVATE KEY", or PKCS #1 "RSA PRIVATE KEY"). It rejects a file
// that group or others can read, because the key signs every token.
func LoadPrivateKeyPEM(path string) (crypto.PrivateKey, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read private key: %w", err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("private key %q has mode %04o; run chmod 600 %q", path, perm, path)
	}
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	switch block.Type {
	case "PRIVATE KEY":
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse private key %q: %w", path, err)
		}
		return key, nil
	case "RSA PRIVATE KEY":
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse private key %q: %w", path, err)
		}
		return key, nil
	}
	return nil, fmt.Errorf("private key %q: PEM block type %q, want PRIVATE KEY or RSA PRIVATE KEY", path, block.Type)
}

// LoadPublicKeyPEM reads an Ed25519 or RSA public key from a PEM file
// (PKIX "PUBLIC KEY", or PKCS #1 "RSA PUBLIC KEY").
func LoadPublicKeyPEM(path string) (crypto.PublicKey, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	switch block.Type {
	case "PUBLIC KEY":
		key, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse public key %q: %w", path, err)
		}
		return key, nil
	case "RSA PUBLIC KEY":
		key, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse public key %q: %w", path, err)
		}
		return key, nil
	}
	return nil, fmt.Errorf("public key %q: PEM block type %q, want PUBLIC KEY or RSA PUBLIC KEY", path, block.Type)
}

func readPEM(path string) (*pem.Block, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("key file %q contains no PEM block", path)
	}
	return block, nil
}
