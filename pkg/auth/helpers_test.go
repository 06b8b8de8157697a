package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"
	"time"
)

const (
	testIssuer   = "mlops-test"
	testAudience = "mlops-api"
)

// Test secrets are random-looking 44-byte strings that pass ValidateSecret.
var (
	testSecret      = []byte("k3Vq9Lw2Zr7Xp0Bn5Ts8Hd1Mf6Yc4Ja+Gu/Ei2Oy7Qx=")
	testSecretOther = []byte("Rb8Nw3Kp6Zs1Lq9Xv4Td7Hm2Fy5Jc0Ga+Pu/Ei8Oo3Wx=")
)

var (
	rsaOnce           sync.Once
	rsaKey, rsaKeyAlt *rsa.PrivateKey
)

// testRSAKeys returns two 2048-bit keys, generated once per test binary
// because RSA generation takes a noticeable fraction of a second.
func testRSAKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	rsaOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if rsaKeyAlt, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return rsaKey, rsaKeyAlt
}

func testEd25519Key(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func hsConfig() Config {
	return Config{
		Algorithm: AlgHS256,
		Issuer:    testIssuer,
		Audience:  testAudience,
		Keys:      []Key{{ID: "hs1", Secret: testSecret}},
		Leeway:    DefaultLeeway,
	}
}

func rsConfig(t testing.TB) Config {
	priv, _ := testRSAKeys(t)
	return Config{
		Algorithm: AlgRS256,
		Issuer:    testIssuer,
		Audience:  testAudience,
		Keys:      []Key{{ID: "rs1", PrivateKey: priv}},
		Leeway:    DefaultLeeway,
	}
}

func edConfig(t testing.TB) Config {
	return Config{
		Algorithm: AlgEdDSA,
		Issuer:    testIssuer,
		Audience:  testAudience,
		Keys:      []Key{{ID: "ed1", PrivateKey: testEd25519Key(t)}},
		Leeway:    DefaultLeeway,
	}
}

func mustIssuer(t testing.TB, cfg Config) *Issuer {
	t.Helper()
	iss, err := NewIssuer(cfg)
	if err != nil {
		t.Fatalf("NewIssuer: %v", err)
	}
	return iss
}

func mustVerifier(t testing.TB, cfg Config) *Verifier {
	t.Helper()
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

func mustIssue(t testing.TB, iss *Issuer, subject string, roles ...string) string {
	t.Helper()
	raw, _, err := iss.Issue(subject, roles, time.Hour)
	if err != nil {
		t.Fatalf("Issue(%q, %v): %v", subject, roles, err)
	}
	return raw
}

// wantAuthError checks that err is an *Error with code and status.
func wantAuthError(t *testing.T, err error, code string, status int) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want code %s", code)
	}
	ae, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %v has type %T, want *auth.Error", err, err)
	}
	if ae.Code != code {
		t.Errorf("Code = %q (%v), want %q", ae.Code, err, code)
	}
	if ae.Status != status {
		t.Errorf("Status = %d, want %d", ae.Status, status)
	}
	return ae
}
