package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/config"
)

func TestConfigFrom_HS256RoundTrip(t *testing.T) {
	ac := config.AuthConfig{
		Algorithm: AlgHS256, Secret: "q3T9vLx2RkP8wZm4Yc7Jd1Fh6Ns0Bg5A", KeyID: "k1",
		Issuer: "mlops", Audience: "mlops-api", MaxTTL: time.Hour, Leeway: time.Second,
	}
	cfg, err := ConfigFrom(ac, t.TempDir())
	if err != nil {
		t.Fatalf("ConfigFrom: %v", err)
	}
	tok := mustIssue(t, mustIssuer(t, cfg), "alice", RolePredict)
	claims, err := mustVerifier(t, cfg).Verify(tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if claims.Subject != "alice" {
		t.Errorf("subject = %q, want alice", claims.Subject)
	}
	if _, _, err := mustIssuer(t, cfg).Issue("alice", []string{RoleRead}, 2*time.Hour); err == nil {
		t.Error("Issue with ttl above auth.max_ttl: got nil error")
	}
}

func TestConfigFrom_EdDSAFiles(t *testing.T) {
	dir := t.TempDir()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	privDER, _ := x509.MarshalPKCS8PrivateKey(priv)
	pubDER, _ := x509.MarshalPKIXPublicKey(pub)
	writePEM(t, dir, "jwt.key", "PRIVATE KEY", privDER, 0o600)
	writePEM(t, dir, "jwt.pub", "PUBLIC KEY", pubDER, 0o644)

	base := config.AuthConfig{Algorithm: AlgEdDSA, Issuer: "mlops", Audience: "mlops-api"}
	signer := base
	signer.PrivateKey = "jwt.key"
	verifier := base
	verifier.PublicKey = "jwt.pub"

	scfg, err := ConfigFrom(signer, dir)
	if err != nil {
		t.Fatalf("ConfigFrom(private key only): %v", err)
	}
	vcfg, err := ConfigFrom(verifier, dir)
	if err != nil {
		t.Fatalf("ConfigFrom(public key only): %v", err)
	}
	tok := mustIssue(t, mustIssuer(t, scfg), "bob", RoleRead)
	if _, err := mustVerifier(t, vcfg).Verify(tok); err != nil {
		t.Fatalf("Verify with the public key file: %v", err)
	}
	if _, err := NewIssuer(vcfg); err == nil {
		t.Error("NewIssuer with only a public key: got nil error")
	}
}

func TestConfigFrom_Rejects(t *testing.T) {
	tests := []struct {
		name string
		ac   config.AuthConfig
		want string
	}{
		{"empty secret", config.AuthConfig{Algorithm: AlgHS256}, "auth.secret is empty; set MLOPS_AUTH_SECRET"},
		{"no key files", config.AuthConfig{Algorithm: AlgRS256}, "needs auth.private_key or auth.public_key"},
		{"missing key file", config.AuthConfig{Algorithm: AlgEdDSA, PublicKey: "nope.pub"}, "auth.public_key: read key"},
		{"unknown algorithm", config.AuthConfig{Algorithm: "none"}, `auth.algorithm "none" is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ConfigFrom(tt.ac, t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ConfigFrom error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
