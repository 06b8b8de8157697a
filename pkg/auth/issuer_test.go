package auth

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestIssueVerify_RoundTrip(t *testing.T) {
	configs := map[string]Config{
		AlgHS256: hsConfig(),
		AlgEdDSA: edConfig(t),
		AlgRS256: rsConfig(t),
	}
	for alg, cfg := range configs {
		t.Run(alg, func(t *testing.T) {
			iss := mustIssuer(t, cfg)
			raw, issued, err := iss.Issue("alice", []string{RoleRead, RolePredict, RoleRead}, 15*time.Minute)
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			got, err := mustVerifier(t, cfg).Verify(raw)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if diff := cmp.Diff(issued, got); diff != "" {
				t.Errorf("verified claims differ from issued (-issued +verified):\n%s", diff)
			}
			if want := []string{RolePredict, RoleRead}; !cmp.Equal(got.Roles, want) {
				t.Errorf("Roles = %v, want sorted and deduplicated %v", got.Roles, want)
			}
			if got.ExpiresAt.Sub(got.IssuedAt.Time) != 15*time.Minute {
				t.Errorf("exp - iat = %s, want 15m", got.ExpiresAt.Sub(got.IssuedAt.Time))
			}
			if len(got.ID) != 32 {
				t.Errorf("jti = %q, want 32 hex characters", got.ID)
			}
		})
	}
}

func TestIssue_Rejects(t *testing.T) {
	iss := mustIssuer(t, hsConfig())
	tests := []struct {
		name    string
		subject string
		roles   []string
		ttl     time.Duration
		want    string
	}{
		{"empty subject", "", []string{RoleRead}, time.Hour, "subject is empty"},
		{"zero ttl", "a", []string{RoleRead}, 0, "ttl 0s"},
		{"negative ttl", "a", []string{RoleRead}, -time.Second, "ttl -1s"},
		{"ttl over max", "a", []string{RoleRead}, DefaultMaxTTL + time.Second, "ttl 24h0m1s"},
		{"unknown role", "a", []string{"root"}, time.Hour, `unknown role "root"`},
		{"no roles", "a", nil, time.Hour, "no roles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, claims, err := iss.Issue(tt.subject, tt.roles, tt.ttl)
			if err == nil {
				t.Fatalf("Issue(%q, %v, %s) = %q, want error", tt.subject, tt.roles, tt.ttl, raw)
			}
			if claims != nil || raw != "" {
				t.Errorf("Issue returned a token with an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestIssue_KeyRotation(t *testing.T) {
	oldKey := Key{ID: "2025", Secret: testSecret}
	newKey := Key{ID: "2026", Secret: testSecretOther}
	cfg := func(keys ...Key) Config {
		c := hsConfig()
		c.Keys = keys
		return c
	}
	oldToken := mustIssue(t, mustIssuer(t, cfg(oldKey)), "alice", RoleRead)
	newToken := mustIssue(t, mustIssuer(t, cfg(newKey, oldKey)), "alice", RoleRead)

	during := mustVerifier(t, cfg(newKey, oldKey))
	for name, raw := range map[string]string{"old": oldToken, "new": newToken} {
		if _, err := during.Verify(raw); err != nil {
			t.Errorf("during rotation, %s token: %v", name, err)
		}
	}

	after := mustVerifier(t, cfg(newKey))
	if _, err := after.Verify(newToken); err != nil {
		t.Errorf("after rotation, new token: %v", err)
	}
	_, err := after.Verify(oldToken)
	wantAuthError(t, err, CodeTokenUnknownKID, 401)
}

func TestVerify_NoKIDWithOneKey(t *testing.T) {
	cfg := hsConfig()
	cfg.Keys[0].ID = ""
	raw := mustIssue(t, mustIssuer(t, cfg), "alice", RoleRead)
	if _, err := mustVerifier(t, cfg).Verify(raw); err != nil {
		t.Errorf("token without kid, one key configured: %v", err)
	}
}

func TestNewConfig_Rejects(t *testing.T) {
	rsaPriv, _ := testRSAKeys(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	edPriv := testEd25519Key(t)

	edit := func(base Config, f func(*Config)) Config {
		f(&base)
		return base
	}
	tests := []struct {
		name   string
		cfg    Config
		issuer bool
		want   string
	}{
		{"unknown algorithm", edit(hsConfig(), func(c *Config) { c.Algorithm = "HS512" }), false, `"HS512" is not supported`},
		{"alg none", edit(hsConfig(), func(c *Config) { c.Algorithm = "none" }), false, "not supported"},
		{"short secret", edit(hsConfig(), func(c *Config) { c.Keys[0].Secret = []byte("too-short") }), false, "need at least 32"},
		{"no keys", edit(hsConfig(), func(c *Config) { c.Keys = nil }), false, "no keys"},
		{"no issuer", edit(hsConfig(), func(c *Config) { c.Issuer = "" }), false, "issuer is empty"},
		{"no audience", edit(hsConfig(), func(c *Config) { c.Audience = "" }), false, "audience is empty"},
		{"negative leeway", edit(hsConfig(), func(c *Config) { c.Leeway = -time.Second }), false, "leeway"},
		{"huge leeway", edit(hsConfig(), func(c *Config) { c.Leeway = time.Hour }), false, "leeway"},
		{"negative max ttl", edit(hsConfig(), func(c *Config) { c.MaxTTL = -time.Second }), true, "max TTL"},
		{"two keys, one without ID", edit(hsConfig(), func(c *Config) {
			c.Keys = []Key{{ID: "a", Secret: testSecret}, {Secret: testSecretOther}}
		}), false, "no ID"},
		{"duplicate IDs", edit(hsConfig(), func(c *Config) {
			c.Keys = []Key{{ID: "a", Secret: testSecret}, {ID: "a", Secret: testSecretOther}}
		}), false, "used twice"},
		{"HS256 with an RSA key", edit(hsConfig(), func(c *Config) { c.Keys[0].PublicKey = &rsaPriv.PublicKey }), false,
			"no public or private key"},
		{"RSA 1024 bits", edit(rsConfig(t), func(c *Config) { c.Keys[0].PrivateKey = small }), false, "1024 bits"},
		{"RS256 with an ed25519 key", edit(rsConfig(t), func(c *Config) { c.Keys[0].PrivateKey = edPriv }), false,
			"want *rsa.PrivateKey"},
		{"RS256 issuer without private key", edit(rsConfig(t), func(c *Config) {
			c.Keys[0] = Key{ID: "rs1", PublicKey: &rsaPriv.PublicKey}
		}), true, "no private key"},
		{"EdDSA with mismatched halves", edit(edConfig(t), func(c *Config) { c.Keys[0].PublicKey = edPub }), false,
			"does not match"},
		{"EdDSA with an RSA key", edit(edConfig(t), func(c *Config) {
			c.Keys[0] = Key{ID: "ed1", PublicKey: &rsaPriv.PublicKey}
		}), false, "want ed25519.PublicKey"},
		{"EdDSA with a secret", edit(edConfig(t), func(c *Config) { c.Keys[0].Secret = testSecret }), false,
			"must not have a secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.issuer {
				_, err = NewIssuer(tt.cfg)
			} else {
				_, err = NewVerifier(tt.cfg)
			}
			if err == nil {
				t.Fatalf("no error, want one mentioning %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestVerifier_PublicKeyOnly(t *testing.T) {
	for _, cfg := range []Config{edConfig(t), rsConfig(t)} {
		t.Run(cfg.Algorithm, func(t *testing.T) {
			raw := mustIssue(t, mustIssuer(t, cfg), "alice", RoleRead)
			pubOnly := cfg
			pub := cfg.Keys[0].PrivateKey.(interface{ Public() crypto.PublicKey }).Public()
			pubOnly.Keys = []Key{{ID: cfg.Keys[0].ID, PublicKey: pub}}
			if _, err := mustVerifier(t, pubOnly).Verify(raw); err != nil {
				t.Errorf("verify with the public key only: %v", err)
			}
		})
	}
}

func TestHasRole(t *testing.T) {
	tests := []struct {
		roles []string
		role  string
		want  bool
	}{
		{[]string{RolePredict}, RolePredict, true},
		{[]string{RolePredict}, RoleRead, false},
		{[]string{RoleRead}, RoleAdmin, false},
		{[]string{RoleAdmin}, RolePredict, true},
		{[]string{RoleAdmin}, RoleFeedback, true},
		{nil, RoleRead, false},
	}
	for _, tt := range tests {
		c := &Claims{Roles: tt.roles}
		if got := c.HasRole(tt.role); got != tt.want {
			t.Errorf("Claims{Roles: %v}.HasRole(%q) = %v, want %v", tt.roles, tt.role, got, tt.want)
		}
	}
	var nilClaims *Claims
	if nilClaims.HasRole(RoleRead) {
		t.Errorf("nil claims HasRole = true, want false")
	}
	wantAuthError(t, RequireRole(nil, RoleRead), CodeTokenMissing, 401)
	if err := RequireRole(&Claims{Roles: []string{RoleAdmin}}, RolePredict); err != nil {
		t.Errorf("RequireRole(admin, predict) = %v, want nil", err)
	}
}
