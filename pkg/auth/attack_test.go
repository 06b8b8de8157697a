package auth

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// craft signs claims with method and key, setting the given headers; a nil
// header value removes the header.
func craft(t *testing.T, method jwt.SigningMethod, key any, claims jwt.Claims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
			continue
		}
		tok.Header[k] = v
	}
	raw, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign crafted token: %v", err)
	}
	return raw
}

// goodClaims returns claims the test verifiers accept, shifted by offset.
func goodClaims(offset time.Duration) *Claims {
	now := time.Now().Add(offset)
	return &Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    testIssuer,
			Subject:   "alice",
			Audience:  jwt.ClaimStrings{testAudience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
		},
		Roles: []string{RolePredict},
	}
}

func withClaims(edit func(c *Claims)) *Claims {
	c := goodClaims(0)
	edit(c)
	return c
}

// replaceSegment swaps one dot-separated segment of raw.
func replaceSegment(raw string, i int, seg string) string {
	parts := strings.Split(raw, ".")
	parts[i] = seg
	return strings.Join(parts, ".")
}

// flipSignature changes a byte in the middle of the signature, where every
// bit is significant under strict base64 decoding.
func flipSignature(raw string) string {
	parts := strings.Split(raw, ".")
	sig := []byte(parts[2])
	mid := len(sig) / 2
	if sig[mid] == 'A' {
		sig[mid] = 'B'
	} else {
		sig[mid] = 'A'
	}
	parts[2] = string(sig)
	return strings.Join(parts, ".")
}

func TestVerify_Attacks(t *testing.T) {
	rsaPriv, rsaOther := testRSAKeys(t)
	rsaPubDER, err := x509.MarshalPKIXPublicKey(&rsaPriv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaPubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaPubDER})
	edPriv := testEd25519Key(t)

	hsVerifier := mustVerifier(t, hsConfig())
	rsVerifier := mustVerifier(t, rsConfig(t))
	twoKeys := hsConfig()
	twoKeys.Keys = append(twoKeys.Keys, Key{ID: "hs2", Secret: testSecretOther})
	twoKeyVerifier := mustVerifier(t, twoKeys)

	valid := craft(t, jwt.SigningMethodHS256, testSecret, goodClaims(0), map[string]any{"kid": "hs1"})
	adminPayload := base64.RawURLEncoding.EncodeToString(mustJSON(t, withClaims(func(c *Claims) {
		c.Roles = []string{RoleAdmin}
	})))
	hsKid := map[string]any{"kid": "hs1"}

	tests := []struct {
		name     string
		verifier *Verifier
		raw      string
		code     string
	}{
		{"alg none", hsVerifier,
			craft(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, goodClaims(0), hsKid), CodeTokenAlgorithm},
		{"alg none with signature stripped", hsVerifier,
			replaceSegment(replaceSegment(valid, 0, b64(`{"alg":"none","typ":"JWT","kid":"hs1"}`)), 2, ""), CodeTokenAlgorithm},
		{"HS256 token against RS256 verifier", rsVerifier,
			craft(t, jwt.SigningMethodHS256, testSecret, goodClaims(0), map[string]any{"kid": "rs1"}), CodeTokenAlgorithm},
		{"HS256 signed with the RSA public key", rsVerifier,
			craft(t, jwt.SigningMethodHS256, rsaPubPEM, goodClaims(0), map[string]any{"kid": "rs1"}), CodeTokenAlgorithm},
		{"HS256 signed with the RSA public key DER", rsVerifier,
			craft(t, jwt.SigningMethodHS256, rsaPubDER, goodClaims(0), map[string]any{"kid": "rs1"}), CodeTokenAlgorithm},
		{"RS256 token against HS256 verifier", hsVerifier,
			craft(t, jwt.SigningMethodRS256, rsaPriv, goodClaims(0), hsKid), CodeTokenAlgorithm},
		{"EdDSA token against RS256 verifier", rsVerifier,
			craft(t, jwt.SigningMethodEdDSA, edPriv, goodClaims(0), map[string]any{"kid": "rs1"}), CodeTokenAlgorithm},
		{"unregistered alg", hsVerifier,
			replaceSegment(valid, 0, b64(`{"alg":"HS999","typ":"JWT","kid":"hs1"}`)), CodeTokenAlgorithm},
		{"RS256 signed by another RSA key", rsVerifier,
			craft(t, jwt.SigningMethodRS256, rsaOther, goodClaims(0), map[string]any{"kid": "rs1"}), CodeTokenInvalidSignature},
		{"expired beyond leeway", hsVerifier,
			craft(t, jwt.SigningMethodHS256, testSecret, goodClaims(-time.Hour-time.Minute), hsKid), CodeTokenExpired},
		{"not yet valid beyond leeway", hsVerifier,
			craft(t, jwt.SigningMethodHS256, testSecret, goodClaims(5*time.Minute), hsKid), CodeTokenNotYetValid},
		{"issued in the future", hsVerifier,
			craft(t, jwt.SigningMethodHS256, testSecret, withClaims(func(c *Claims) {
				c.NotBefore = nil
				c.IssuedAt = jwt.NewNumericDate(time.Now().Add(10 * time.Minute))
			}), hsKid), CodeTokenNotYetValid},
		{"wrong audience", hsVerifier,
			craft(t, jwt.SigningMethodHS256, testSecret, withClaims(func(c *Claims) {
				c.Audience = jwt.ClaimStrings{"other-api"}
			}), hsKid), CodeTokenWrongAudience},
		{"no audience", hsVerifier,
			craft(t, jwt.SigningMethodHS256, testSecret, withClaims(func(c *Claims) { c.Audience = nil }), hsKid),
			CodeTokenWrongAudience},
		{"no issuer", hsVerifier,
			craft(t, jwt.SigningMethodHS256, testSecret, withClaims(func(c *Claims) { c.Issuer = "" }), hsKid),
			CodeTokenWrongIssuer},
		{"wrong issuer", hsVerifier,
			craft(t, jwt.SigningMethodHS256, testSecret, withClaims(func(c *Claims) { c.Issuer = "evil" }), hsKid),
			CodeTokenWrongIssuer},
		{"no exp", hsVerifier,
			craft(t, jwt.SigningMethodHS256, testSecret, withClaims(func(c *Claims) { c.ExpiresAt = nil }), hsKid),
			CodeTokenMalformed},
		{"no subject", hsVerifier,
			craft(t, jwt.SigningMethodHS256, testSecret, withClaims(func(c *Claims) { c.Subject = "" }), hsKid),
			CodeTokenMalformed},
		{"tampered signature", hsVerifier, flipSignature(valid), CodeTokenInvalidSignature},
		{"tampered payload grants admin", hsVerifier, replaceSegment(valid, 1, adminPayload), CodeTokenInvalidSignature},
		{"signed with another secret", hsVerifier,
			craft(t, jwt.SigningMethodHS256, testSecretOther, goodClaims(0), hsKid), CodeTokenInvalidSignature},
		{"unknown kid", hsVerifier,
			craft(t, jwt.SigningMethodHS256, testSecret, goodClaims(0), map[string]any{"kid": "hs9"}), CodeTokenUnknownKID},
		{"no kid with two keys", twoKeyVerifier,
			craft(t, jwt.SigningMethodHS256, testSecret, goodClaims(0), map[string]any{"kid": nil}), CodeTokenUnknownKID},
		{"empty kid with two keys", twoKeyVerifier,
			craft(t, jwt.SigningMethodHS256, testSecret, goodClaims(0), map[string]any{"kid": ""}), CodeTokenUnknownKID},
		{"crit header", hsVerifier,
			craft(t, jwt.SigningMethodHS256, testSecret, goodClaims(0),
				map[string]any{"kid": "hs1", "crit": []string{"exp"}}), CodeTokenMalformed},
		{"crit header with an empty list", hsVerifier,
			craft(t, jwt.SigningMethodHS256, testSecret, goodClaims(0),
				map[string]any{"kid": "hs1", "crit": []string{}}), CodeTokenMalformed},
		{"crit header null", hsVerifier,
			replaceSegment(valid, 0, b64(`{"alg":"HS256","typ":"JWT","kid":"hs1","crit":null}`)), CodeTokenMalformed},
		{"kid not a string", hsVerifier,
			craft(t, jwt.SigningMethodHS256, testSecret, goodClaims(0), map[string]any{"kid": 7}), CodeTokenMalformed},
		{"one segment", hsVerifier, "abc", CodeTokenMalformed},
		{"four segments", hsVerifier, valid + ".x", CodeTokenMalformed},
		{"header not base64", hsVerifier, replaceSegment(valid, 0, "***"), CodeTokenMalformed},
		{"payload not JSON", hsVerifier, replaceSegment(valid, 1, b64("not json")), CodeTokenMalformed},
		{"roles not a list", hsVerifier, replaceSegment(valid, 1, b64(`{"sub":"a","roles":"admin"}`)), CodeTokenMalformed},
		{"oversized token", hsVerifier, strings.Repeat("a", maxTokenBytes+1), CodeTokenMalformed},
		{"empty token", hsVerifier, "", CodeTokenMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims, err := tt.verifier.Verify(tt.raw)
			if claims != nil {
				t.Errorf("Verify returned claims %+v with an error expected", claims)
			}
			ae := wantAuthError(t, err, tt.code, http.StatusUnauthorized)
			assertNoSecretText(t, ae.Error(), tt.raw)
		})
	}
}

func TestVerify_AttackAcrossLayers(t *testing.T) {
	v := mustVerifier(t, hsConfig())
	iss := mustIssuer(t, hsConfig())

	t.Run("missing role", func(t *testing.T) {
		claims, err := v.Verify(mustIssue(t, iss, "reader", RoleRead))
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		wantAuthError(t, RequireRole(claims, RolePredict), CodeRoleMissing, http.StatusForbidden)
	})
	t.Run("empty bearer", func(t *testing.T) {
		r, _ := http.NewRequest(http.MethodPost, "/predict", nil)
		r.Header.Set("Authorization", "Bearer ")
		_, err := BearerToken(r)
		wantAuthError(t, err, CodeTokenMissing, http.StatusUnauthorized)
	})
}

func TestVerify_LeewayAccepts(t *testing.T) {
	v := mustVerifier(t, hsConfig())
	tests := []struct {
		name   string
		claims *Claims
	}{
		{"expired within leeway", goodClaims(-time.Hour - 10*time.Second)},
		{"not before within leeway", goodClaims(10 * time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := craft(t, jwt.SigningMethodHS256, testSecret, tt.claims, map[string]any{"kid": "hs1"})
			if _, err := v.Verify(raw); err != nil {
				t.Errorf("Verify: %v, want accepted with 30s leeway", err)
			}
		})
	}
}

func b64(s string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// assertNoSecretText fails when msg contains the token or any of its
// segments longer than a few bytes.
func assertNoSecretText(t *testing.T, msg, raw string) {
	t.Helper()
	if raw != "" && strings.Contains(msg, raw) {
		t.Errorf("error text contains the token: %q", msg)
	}
	for _, seg := range strings.Split(raw, ".") {
		if len(seg) >= 8 && strings.Contains(msg, seg) {
			t.Errorf("error text contains token segment %q: %q", seg, msg)
		}
	}
}
