package server

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mlops-dev/mlops/pkg/auth"
)

// claimsFor returns valid claims for the test issuer and audience.
func claimsFor(subject string, roles ...string) *auth.Claims {
	now := time.Now()
	return &auth.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    testIssuer,
			Subject:   subject,
			Audience:  jwt.ClaimStrings{testAudience},
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
		},
		Roles: roles,
	}
}

func sign(t testing.TB, method jwt.SigningMethod, key any, kid string, claims jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign %s token: %v", method.Alg(), err)
	}
	return s
}

func TestAuth_AttackTable(t *testing.T) {
	f := newFixture(t, nil)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	valid := func(edit func(c *auth.Claims)) string {
		c := claimsFor("mallory", auth.RolePredict)
		if edit != nil {
			edit(c)
		}
		return sign(t, jwt.SigningMethodHS256, f.secret, testKID, c)
	}
	// tampered keeps the header and signature of a valid predict token but
	// swaps in a payload that claims the admin role.
	tampered := func() string {
		parts := strings.Split(valid(nil), ".")
		payload, _ := json.Marshal(claimsFor("mallory", auth.RoleAdmin))
		parts[1] = base64.RawURLEncoding.EncodeToString(payload)
		return strings.Join(parts, ".")
	}()
	noExp := claimsFor("mallory", auth.RolePredict)
	noExp.ExpiresAt = nil

	tests := []struct {
		name   string
		header string // the whole Authorization header; "" sends none
		status int
		code   string
	}{
		{"no header", "", 401, auth.CodeTokenMissing},
		{"empty bearer", "Bearer ", 401, auth.CodeTokenMissing},
		{"basic scheme", "Basic YWxpY2U6c2VjcmV0", 401, auth.CodeTokenMalformed},
		{"not a jwt", "Bearer abc", 401, auth.CodeTokenMalformed},
		{"alg none", "Bearer " + sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, testKID,
			claimsFor("mallory", auth.RoleAdmin)), 401, auth.CodeTokenAlgorithm},
		{"RS256 token against HS256 key", "Bearer " + sign(t, jwt.SigningMethodRS256, rsaKey, testKID,
			claimsFor("mallory", auth.RolePredict)), 401, auth.CodeTokenAlgorithm},
		{"HS384 token", "Bearer " + sign(t, jwt.SigningMethodHS384, f.secret, testKID,
			claimsFor("mallory", auth.RolePredict)), 401, auth.CodeTokenAlgorithm},
		{"expired", "Bearer " + valid(func(c *auth.Claims) {
			c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Hour))
			c.IssuedAt = jwt.NewNumericDate(time.Now().Add(-2 * time.Hour))
			c.NotBefore = c.IssuedAt
		}), 401, auth.CodeTokenExpired},
		{"not yet valid", "Bearer " + valid(func(c *auth.Claims) {
			c.NotBefore = jwt.NewNumericDate(time.Now().Add(time.Hour))
		}), 401, auth.CodeTokenNotYetValid},
		{"missing exp", "Bearer " + sign(t, jwt.SigningMethodHS256, f.secret, testKID, noExp), 401, auth.CodeTokenMalformed},
		{"wrong audience", "Bearer " + valid(func(c *auth.Claims) { c.Audience = jwt.ClaimStrings{"other-api"} }),
			401, auth.CodeTokenWrongAudience},
		{"wrong issuer", "Bearer " + valid(func(c *auth.Claims) { c.Issuer = "someone-else" }),
			401, auth.CodeTokenWrongIssuer},
		{"tampered payload", "Bearer " + tampered, 401, auth.CodeTokenInvalidSignature},
		{"other secret", "Bearer " + sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x9", 24)), testKID,
			claimsFor("mallory", auth.RolePredict)), 401, auth.CodeTokenInvalidSignature},
		{"unknown kid", "Bearer " + sign(t, jwt.SigningMethodHS256, f.secret, "k-old",
			claimsFor("mallory", auth.RolePredict)), 401, auth.CodeTokenUnknownKID},
		{"missing role", "Bearer " + f.token("bob", auth.RoleRead), 403, auth.CodeRoleMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := metricValue(t, f.srv.metrics.authFailures.WithLabelValues(tt.code))
			req, _ := http.NewRequest("POST", f.ts.URL+"/predict", strings.NewReader(`{"features":[1,2,3,4]}`))
			req.Header.Set("Content-Type", "application/json")
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			res := f.send(req)
			got := res.errorBody(t)
			if res.status != tt.status || got.Code != tt.code {
				t.Fatalf("POST /predict with %s: %d %s (%s), want %d %s", tt.name, res.status, got.Code, got.Message, tt.status, tt.code)
			}
			if tt.status == 401 && res.header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without a WWW-Authenticate header")
			}
			if after := metricValue(t, f.srv.metrics.authFailures.WithLabelValues(tt.code)); after != before+1 {
				t.Errorf("mlops_auth_failures_total{reason=%q} went from %v to %v, want +1", tt.code, before, after)
			}
		})
	}
}

// TestAuth_HS256AgainstRS256Key is the key-confusion attack: a server that
// verifies RS256 must not accept an HS256 token whose HMAC secret is the
// server's public key.
func TestAuth_HS256AgainstRS256Key(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := auth.NewVerifier(auth.Config{
		Algorithm: auth.AlgRS256, Issuer: testIssuer, Audience: testAudience,
		Keys: []auth.Key{{ID: testKID, PublicKey: &rsaKey.PublicKey}},
	})
	if err != nil {
		t.Fatalf("RS256 verifier: %v", err)
	}
	f := newFixture(t, func(o *Options) { o.Verifier = verifier })
	der, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)

	tests := []struct {
		name  string
		token string
		code  string
	}{
		{"HS256 signed with the public key", sign(t, jwt.SigningMethodHS256, der, testKID,
			claimsFor("mallory", auth.RoleAdmin)), auth.CodeTokenAlgorithm},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, testKID,
			claimsFor("mallory", auth.RoleAdmin)), auth.CodeTokenAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.do("GET", "/model/info", tt.token, "")
			if got := res.errorBody(t); res.status != 401 || got.Code != tt.code {
				t.Errorf("GET /model/info: %d %s, want 401 %s", res.status, got.Code, tt.code)
			}
		})
	}

	good := sign(t, jwt.SigningMethodRS256, rsaKey, testKID, claimsFor("reader", auth.RoleRead))
	if res := f.do("GET", "/model/info", good, ""); res.status != http.StatusOK {
		t.Errorf("GET /model/info with a good RS256 token: %d %s, want 200", res.status, res.body)
	}
}

func TestAuth_RolesPerRoute(t *testing.T) {
	f := newFixture(t, nil)
	predictTok := f.token("p", auth.RolePredict)
	readTok := f.token("r", auth.RoleRead)
	adminTok := f.token("a", auth.RoleAdmin)
	infer := `{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP64","data":[5.1,3.5,1.4,0.2]}]}`
	tests := []struct {
		method, path, body string
		token              string
		status             int
	}{
		{"POST", "/predict", `{"features":[5.1,3.5,1.4,0.2]}`, predictTok, 200},
		{"POST", "/predict", `{"features":[5.1,3.5,1.4,0.2]}`, readTok, 403},
		{"POST", "/predict", `{"features":[5.1,3.5,1.4,0.2]}`, adminTok, 200},
		{"GET", "/model/info", "", readTok, 200},
		{"GET", "/model/info", "", predictTok, 403},
		{"GET", "/model/info", "", "", 401},
		{"POST", "/admin/reload", "", predictTok, 403},
		{"POST", "/admin/reload", "", readTok, 403},
		{"POST", "/admin/reload", "", adminTok, 200},
		{"GET", "/v2/models/iris", "", readTok, 200},
		{"GET", "/v2/models/iris", "", "", 401},
		{"POST", "/v2/models/iris/infer", infer, predictTok, 200},
		{"POST", "/v2/models/iris/infer", infer, readTok, 403},
		{"GET", "/health", "", "", 200},
		{"GET", "/ready", "", "", 200},
		{"GET", "/v2/health/live", "", "", 200},
		{"GET", "/openapi.json", "", "", 200},
	}
	for _, tt := range tests {
		res := f.do(tt.method, tt.path, tt.token, tt.body)
		if res.status != tt.status {
			t.Errorf("%s %s with token %q: status %d, want %d; body %s", tt.method, tt.path, tokenRole(tt.token, predictTok, readTok, adminTok), res.status, tt.status, res.body)
		}
	}
}

func tokenRole(tok, predict, read, admin string) string {
	switch tok {
	case predict:
		return "predict"
	case read:
		return "read"
	case admin:
		return "admin"
	}
	return "none"
}
