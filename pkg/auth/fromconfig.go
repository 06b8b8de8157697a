package auth

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/mlops-dev/mlops/pkg/config"
)

// ConfigFrom builds a Config from the auth settings. Relative key paths are
// resolved against dir, the project folder.
//
// HS256 uses auth.secret. EdDSA and RS256 read the PEM files auth.private_key
// and auth.public_key; either may be empty, but not both: a verifier needs
// only the public key and an issuer only the private key. The result has one
// key with ID auth.key_id. ConfigFrom does not validate the secret or the
// key sizes: NewIssuer and NewVerifier do.
func ConfigFrom(c config.AuthConfig, dir string) (Config, error) {
	cfg := Config{
		Algorithm: c.Algorithm,
		Issuer:    c.Issuer,
		Audience:  c.Audience,
		Leeway:    c.Leeway,
		MaxTTL:    c.MaxTTL,
	}
	if cfg.Algorithm == "" {
		cfg.Algorithm = AlgHS256
	}
	key := Key{ID: c.KeyID}
	switch cfg.Algorithm {
	case AlgHS256:
		if c.Secret == "" {
			return cfg, errors.New("auth.secret is empty; set MLOPS_AUTH_SECRET (generate one with: openssl rand -base64 48)")
		}
		key.Secret = []byte(c.Secret)
	case AlgEdDSA, AlgRS256:
		if err := loadKeyFiles(&key, c, dir); err != nil {
			return cfg, err
		}
	default:
		return cfg, fmt.Errorf("auth.algorithm %q is not supported; use %s, %s or %s",
			cfg.Algorithm, AlgHS256, AlgEdDSA, AlgRS256)
	}
	cfg.Keys = []Key{key}
	return cfg, nil
}

func loadKeyFiles(key *Key, c config.AuthConfig, dir string) error {
	if c.PrivateKey == "" && c.PublicKey == "" {
		return fmt.Errorf("auth.algorithm %s needs auth.private_key or auth.public_key (PEM files)", c.Algorithm)
	}
	if c.PrivateKey != "" {
		priv, err := LoadPrivateKeyPEM(resolvePath(dir, c.PrivateKey))
		if err != nil {
			return fmt.Errorf("auth.private_key: %w", err)
		}
		key.PrivateKey = priv
	}
	if c.PublicKey != "" {
		pub, err := LoadPublicKeyPEM(resolvePath(dir, c.PublicKey))
		if err != nil {
			return fmt.Errorf("auth.public_key: %w", err)
		}
		key.PublicKey = pub
	}
	return nil
}

func resolvePath(dir, path string) string {
	if dir == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}
