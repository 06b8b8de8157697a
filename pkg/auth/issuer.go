package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer signs tokens with the first key of its Config.
type Issuer struct {
	cfg    Config
	method jwt.SigningMethod
	now    func() time.Time
}

// NewIssuer validates cfg and returns an Issuer. The first key must carry
// a private key (EdDSA, RS256) or a valid secret (HS256).
func NewIssuer(cfg Config) (*Issuer, error) {
	cfg, err := cfg.normalize(true)
	if err != nil {
		return nil, err
	}
	return &Issuer{cfg: cfg, method: signingMethod(cfg.Algorithm), now: time.Now}, nil
}

// Issue signs a token for subject with roles that expires after ttl. It
// rejects an empty subject, unknown roles, and a ttl that is not positive
// or exceeds the configured MaxTTL.
func (i *Issuer) Issue(subject string, roles []string, ttl time.Duration) (string, *Claims, error) {
	if subject == "" {
		return "", nil, errors.New("issue token: subject is empty")
	}
	if err := ValidateRoles(roles); err != nil {
		return "", nil, fmt.Errorf("issue token for %q: %w", subject, err)
	}
	if ttl <= 0 || ttl > i.cfg.MaxTTL {
		return "", nil, fmt.Errorf("issue token for %q: ttl %s is outside (0s, %s]", subject, ttl, i.cfg.MaxTTL)
	}

	id, err := newTokenID()
	if err != nil {
		return "", nil, fmt.Errorf("issue token for %q: %w", subject, err)
	}
	now := i.now().Truncate(time.Second)
	claims := &Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.cfg.Issuer,
			Subject:   subject,
			Audience:  jwt.ClaimStrings{i.cfg.Audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        id,
		},
		Roles: normalizeRoles(roles),
	}

	key := i.cfg.Keys[0]
	token := jwt.NewWithClaims(i.method, claims)
	if key.ID != "" {
		token.Header["kid"] = key.ID
	}
	signed, err := token.SignedString(signingKey(i.cfg.Algorithm, key))
	if err != nil {
		return "", nil, fmt.Errorf("sign token for %q: %w", subject, err)
	}
	return signed, claims, nil
}

func newTokenID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate token id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func signingMethod(alg string) jwt.SigningMethod {
	switch alg {
	case AlgEdDSA:
		return jwt.SigningMethodEdDSA
	case AlgRS256:
		return jwt.SigningMethodRS256
	default:
		return jwt.SigningMethodHS256
	}
}

func signingKey(alg string, k Key) any {
	if alg == AlgHS256 {
		return k.Secret
	}
	return k.PrivateKey
}

func verificationKey(alg string, k Key) any {
	if alg == AlgHS256 {
		return k.Secret
	}
	return k.PublicKey
}
