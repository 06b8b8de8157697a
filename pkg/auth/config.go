package auth

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"time"
)

// Signing algorithms accepted in Config.Algorithm.
const (
	AlgHS256 = "HS256"
	AlgEdDSA = "EdDSA"
	AlgRS256 = "RS256"
)

// Limits and defaults for Config.
const (
	MinSecretBytes = 32
	MinRSABits     = 2048
	DefaultMaxTTL  = 24 * time.Hour
	// DefaultLeeway is the clock skew the server allows unless configured
	// otherwise. Config.Leeway itself has no default: zero means no leeway.
	DefaultLeeway = 30 * time.Second
	maxLeeway     = 5 * time.Minute
)

// Key is one signing or verification key. HS256 uses Secret; EdDSA uses
// ed25519 keys; RS256 uses *rsa.PublicKey and *rsa.PrivateKey. A verifier
// needs only the public half; an issuer needs the private half of the first
// key. ID is sent as the JWT "kid" header.
type Key struct {
	ID         string
	Secret     []byte
	PublicKey  crypto.PublicKey
	PrivateKey crypto.PrivateKey
}

// Config pins the algorithm, the expected issuer and audience, and the keys.
// Keys[0] signs new tokens; every key in Keys verifies, which lets a key be
// rotated without downtime. With more than one key each must have a
// distinct ID. Leeway is the allowed clock skew (zero: none). MaxTTL caps
// Issue's ttl (zero: DefaultMaxTTL).
type Config struct {
	Algorithm string // AlgHS256 (default when empty), AlgEdDSA or AlgRS256
	Issuer    string
	Audience  string
	Keys      []Key
	Leeway    time.Duration
	MaxTTL    time.Duration
}

// placeholderWords are substrings that mark a secret copied from an example
// file rather than generated. A random 32-byte secret contains one of them
// with negligible probability.
var placeholderWords = [][]byte{
	[]byte("changeme"), []byte("change-me"), []byte("change_me"),
	[]byte("placeholder"), []byte("replace"), []byte("secret"), []byte("password"),
}

// minDistinctBytes rejects low-variety secrets such as "abababab...". A
// 32-character hex string has up to 16 distinct bytes and random bytes many
// more.
const minDistinctBytes = 8

// ValidateSecret rejects HS256 secrets that are shorter than MinSecretBytes,
// contain a placeholder word (changeme, secret, password, placeholder,
// replace, in any case), or use fewer than 8 distinct byte values (for
// example one repeated byte). The error never quotes the secret.
func ValidateSecret(secret []byte) error {
	if len(secret) == 0 {
		return errors.New("secret is empty; generate one with: openssl rand -base64 48")
	}
	if len(secret) < MinSecretBytes {
		return fmt.Errorf("secret is %d bytes, need at least %d; generate one with: openssl rand -base64 48",
			len(secret), MinSecretBytes)
	}
	lower := bytes.ToLower(secret)
	for _, w := range placeholderWords {
		if bytes.Contains(lower, w) {
			return fmt.Errorf("secret contains the placeholder word %q; generate a random one with: openssl rand -base64 48", w)
		}
	}
	var seen [256]bool
	distinct := 0
	for _, b := range secret {
		if !seen[b] {
			seen[b] = true
			distinct++
		}
	}
	if distinct < minDistinctBytes {
		return fmt.Errorf("secret uses only %d distinct bytes, need at least %d; generate a random one with: openssl rand -base64 48",
			distinct, minDistinctBytes)
	}
	return nil
}

// normalize validates cfg and fills defaults. needPrivate is true for an
// issuer, which must be able to sign with Keys[0].
func (cfg Config) normalize(needPrivate bool) (Config, error) {
	if cfg.Algorithm == "" {
		cfg.Algorithm = AlgHS256
	}

	switch cfg.Algorithm {
	case AlgHS256, AlgEdDSA, AlgRS256:
	default:
		return cfg, fmt.Errorf("auth algorithm %q is not supported; use %s, %s or %s",
			cfg.Algorithm, AlgHS256, AlgEdDSA, AlgRS256)
	}

	if cfg.Issuer == "" {
		return cfg, errors.New("auth issuer is empty")
	}
	if cfg.Audience == "" {
		return cfg, errors.New("auth audience is empty")
	}

	if cfg.Leeway < 0 || cfg.Leeway > maxLeeway {
		return cfg, fmt.Errorf("auth leeway %s is outside 0s..%s", cfg.Leeway, maxLeeway)
	}
	if cfg.MaxTTL == 0 {
		cfg.MaxTTL = DefaultMaxTTL
	}
	if cfg.MaxTTL < 0 {
		return cfg, fmt.Errorf("auth max TTL %s is negative", cfg.MaxTTL)
	}

	keys, err := normalizeKeys(cfg.Algorithm, cfg.Keys, needPrivate)
	if err != nil {
		return cfg, err
	}
	cfg.Keys = keys
	return cfg, nil
}

func normalizeKeys(alg string, keys []Key, needPrivate bool) ([]Key, error) {
	if len(keys) == 0 {
		return nil, errors.New("auth config has no keys")
	}
	out := make([]Key, len(keys))
	ids := make(map[string]bool, len(keys))
	for i, k := range keys {
		if len(keys) > 1 && k.ID == "" {
			return nil, fmt.Errorf("auth key %d has no ID; every key needs a distinct ID when several are configured", i)
		}
		if ids[k.ID] {
			return nil, fmt.Errorf("auth key ID %q is used twice", k.ID)
		}
		ids[k.ID] = true
		nk, err := normalizeKey(alg, k, needPrivate && i == 0)
		if err != nil {
			return nil, fmt.Errorf("auth key %d (id %q): %w", i, k.ID, err)
		}
		out[i] = nk
	}
	return out, nil
}

func normalizeKey(alg string, k Key, needPrivate bool) (Key, error) {
	switch alg {
	case AlgHS256:
		if k.PublicKey != nil || k.PrivateKey != nil {
			return k, errors.New("HS256 key must have a secret and no public or private key")
		}
		return k, ValidateSecret(k.Secret)
	case AlgEdDSA:
		return normalizeEd25519(k, needPrivate)
	default:
		return normalizeRSA(k, needPrivate)
	}
}

func normalizeEd25519(k Key, needPrivate bool) (Key, error) {
	if len(k.Secret) > 0 {
		return k, errors.New("EdDSA key must not have a secret")
	}
	if k.PrivateKey != nil {
		priv, ok := k.PrivateKey.(ed25519.PrivateKey)
		if !ok || len(priv) != ed25519.PrivateKeySize {
			return k, fmt.Errorf("EdDSA private key has type %T, want ed25519.PrivateKey", k.PrivateKey)
		}
		pub := priv.Public().(ed25519.PublicKey)
		if k.PublicKey != nil && !pub.Equal(k.PublicKey) {
			return k, errors.New("EdDSA public key does not match the private key")
		}
		k.PublicKey = pub
	}
	if needPrivate && k.PrivateKey == nil {
		return k, errors.New("EdDSA signing key has no private key")
	}
	pub, ok := k.PublicKey.(ed25519.PublicKey)
	if !ok || len(pub) != ed25519.PublicKeySize {
		return k, fmt.Errorf("EdDSA public key has type %T, want ed25519.PublicKey", k.PublicKey)
	}
	return k, nil
}

func normalizeRSA(k Key, needPrivate bool) (Key, error) {
	if len(k.Secret) > 0 {
		return k, errors.New("RS256 key must not have a secret")
	}
	if k.PrivateKey != nil {
		priv, ok := k.PrivateKey.(*rsa.PrivateKey)
		if !ok {
			return k, fmt.Errorf("RS256 private key has type %T, want *rsa.PrivateKey", k.PrivateKey)
		}
		if k.PublicKey != nil && !priv.PublicKey.Equal(k.PublicKey) {
			return k, errors.New("RS256 public key does not match the private key")
		}
		k.PublicKey = &priv.PublicKey
	}
	if needPrivate && k.PrivateKey == nil {
		return k, errors.New("RS256 signing key has no private key")
	}
	pub, ok := k.PublicKey.(*rsa.PublicKey)
	if !ok || pub == nil {
		return k, fmt.Errorf("RS256 public key has type %T, want *rsa.PublicKey", k.PublicKey)
	}
	if bits := pub.N.BitLen(); bits < MinRSABits {
		return k, fmt.Errorf("RSA key has %d bits, need at least %d", bits, MinRSABits)
	}
	return k, nil
}
