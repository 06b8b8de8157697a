package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// maxTokenBytes bounds the input Verify parses. mlops tokens are about
// 400 bytes; anything near this size is not one of ours.
const maxTokenBytes = 8 << 10

// errUnknownKID and errNoKID are returned by the key function and mapped
// to CodeTokenUnknownKID.
var (
	errUnknownKID = errors.New("kid matches no configured key")
	errNoKID      = errors.New("token has no kid and several keys are configured")
	errKIDType    = errors.New("kid header is not a string")
	errCrit       = errors.New("token header has a crit member")
)

// Verifier checks tokens against the pinned algorithm and every key of its
// Config.
//
// Key selection: a token's "kid" header must equal the ID of one configured
// key. A token without kid is accepted only when exactly one key is
// configured, because with several keys there is no safe way to pick one.
// An empty kid is rejected as missing when several keys are configured.
//
// A token whose header has a "crit" member is rejected: RFC 7515 section
// 4.1.11 requires rejecting critical extensions the recipient does not
// understand, and this verifier understands none.
type Verifier struct {
	cfg    Config
	parser *jwt.Parser
	keys   map[string]any
	now    func() time.Time
	cache  *verifiedCache
}

// NewVerifier validates cfg and returns a Verifier.
func NewVerifier(cfg Config) (*Verifier, error) {
	return newVerifier(cfg, time.Now)
}

func newVerifier(cfg Config, now func() time.Time) (*Verifier, error) {
	cfg, err := cfg.normalize(false)
	if err != nil {
		return nil, err
	}
	keys := make(map[string]any, len(cfg.Keys))
	for _, k := range cfg.Keys {
		keys[k.ID] = verificationKey(cfg.Algorithm, k)
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{cfg.Algorithm}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithIssuedAt(),
		jwt.WithStrictDecoding(),
		jwt.WithTimeFunc(now),
	)
	return &Verifier{cfg: cfg, parser: parser, keys: keys, now: now, cache: newVerifiedCache()}, nil
}

// Verify parses raw, checks its signature and claims, and returns the
// claims. Every failure is an *Error with status 401 and one of the
// token_* codes.
func (v *Verifier) Verify(raw string) (*Claims, error) {
	if raw == "" {
		return nil, unauthorized(CodeTokenMissing, "no bearer token", nil)
	}
	if len(raw) > maxTokenBytes {
		return nil, unauthorized(CodeTokenMalformed, fmt.Sprintf("token is longer than %d bytes", maxTokenBytes), nil)
	}

	if cached, ok := v.cache.get(raw, v.now(), v.cfg.Leeway); ok {
		return cached.clone(), nil
	}

	claims := &Claims{}
	token, err := v.parser.ParseWithClaims(raw, claims, v.keyFor)
	if err != nil {
		return nil, v.classify(token, claims, err)
	}
	if claims.Subject == "" {
		return nil, unauthorized(CodeTokenMalformed, "token has no subject", nil)
	}
	v.cache.put(raw, claims.clone())
	return claims, nil
}

func (v *Verifier) keyFor(token *jwt.Token) (any, error) {
	if _, present := token.Header["crit"]; present {
		return nil, errCrit
	}
	kid, present := token.Header["kid"]
	if !present {
		if len(v.keys) != 1 {
			return nil, errNoKID
		}
		for _, k := range v.keys {
			return k, nil
		}
	}
	id, ok := kid.(string)
	if !ok {
		return nil, errKIDType
	}
	if id == "" && len(v.keys) > 1 {
		return nil, errNoKID
	}
	key, ok := v.keys[id]
	if !ok {
		return nil, errUnknownKID
	}
	return key, nil
}

// classify maps a golang-jwt error to an *Error. The order matters: a
// structural problem wins over the algorithm, the algorithm over the key,
// the key over the signature, and the signature over the claims, which
// golang-jwt checks only after the signature.
func (v *Verifier) classify(token *jwt.Token, claims *Claims, err error) *Error {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return unauthorized(CodeTokenMalformed, "token is not a well-formed JWT", err)
	case token == nil || token.Method == nil || token.Method.Alg() != v.cfg.Algorithm:
		return unauthorized(CodeTokenAlgorithm,
			fmt.Sprintf("token algorithm is not the configured %s", v.cfg.Algorithm), err)
	case errors.Is(err, errCrit):
		return unauthorized(CodeTokenMalformed, "token header has a crit member; no critical extensions are supported", err)
	case errors.Is(err, errKIDType):
		return unauthorized(CodeTokenMalformed, "token kid header is not a string", err)
	case errors.Is(err, errUnknownKID):
		return unauthorized(CodeTokenUnknownKID, "token kid matches no configured key", err)
	case errors.Is(err, errNoKID):
		return unauthorized(CodeTokenUnknownKID, "token has no kid and several keys are configured", err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return unauthorized(CodeTokenInvalidSignature, "token signature is invalid", err)
	}
	return classifyClaims(claims, err)
}

// classifyClaims maps claim validation errors. golang-jwt reports a missing
// iss or aud as a missing required claim. Those count as the wrong issuer or
// audience, so only a missing exp is reported as malformed.
func classifyClaims(claims *Claims, err error) *Error {
	missing := errors.Is(err, jwt.ErrTokenRequiredClaimMissing)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return unauthorized(CodeTokenExpired, "token has expired; request a new one", err)
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return unauthorized(CodeTokenNotYetValid, "token is not valid yet; check the clocks", err)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer), missing && claims.Issuer == "":
		return unauthorized(CodeTokenWrongIssuer, "token issuer is not accepted", err)
	case errors.Is(err, jwt.ErrTokenInvalidAudience), missing && len(claims.Audience) == 0:
		return unauthorized(CodeTokenWrongAudience, "token audience is not accepted", err)
	case missing:
		return unauthorized(CodeTokenMalformed, "token lacks a required claim (exp)", err)
	}
	return unauthorized(CodeTokenMalformed, "token claims are invalid", err)
}
