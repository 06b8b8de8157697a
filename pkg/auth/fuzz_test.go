package auth

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fuzzSecret signs the valid seed tokens in testdata/fuzz/FuzzVerify. Those
// seeds expire in 2100, so they stay valid.
var fuzzSecret = []byte("Fz7Qp2Lm9Xw4Rt1Vb6Nc3Hj8Kd5Gs0Ya+Ue/Oi4Pw9Ez=")

var knownCodes = []string{
	CodeTokenMissing, CodeTokenMalformed, CodeTokenExpired, CodeTokenNotYetValid,
	CodeTokenInvalidSignature, CodeTokenWrongIssuer, CodeTokenWrongAudience,
	CodeTokenUnknownKID, CodeTokenAlgorithm,
}

// FuzzVerify checks that Verify never panics, that every failure is an
// *Error with status 401 and a known code, and that an accepted token has
// a subject.
func FuzzVerify(f *testing.F) {
	f.Add("")
	f.Add("a.b.c")
	cfg := hsConfig()
	cfg.Keys = []Key{{ID: "fuzz", Secret: fuzzSecret}}
	v, err := NewVerifier(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		claims, err := v.Verify(raw)
		if err == nil {
			if claims == nil || claims.Subject == "" {
				t.Fatalf("Verify(%q) accepted a token without subject: %+v", raw, claims)
			}
			return
		}
		var ae *Error
		if !errors.As(err, &ae) {
			t.Fatalf("Verify(%q) error %v has type %T, want *Error", raw, err, err)
		}
		if ae.Status != http.StatusUnauthorized || !slices.Contains(knownCodes, ae.Code) {
			t.Fatalf("Verify(%q) = status %d code %q, want 401 and a known code", raw, ae.Status, ae.Code)
		}
	})
}

// TestFuzzSeeds_ValidSeedVerifies keeps the "valid" seed valid, so the
// fuzzer starts from a token that reaches the claims checks.
func TestFuzzSeeds_ValidSeedVerifies(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzVerify", "valid"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" {
		t.Fatalf("seed file has unexpected format:\n%s", data)
	}
	raw, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "string("), ")"))
	if err != nil {
		t.Fatalf("unquote seed: %v", err)
	}
	cfg := hsConfig()
	cfg.Keys = []Key{{ID: "fuzz", Secret: fuzzSecret}}
	if _, err := mustVerifier(t, cfg).Verify(raw); err != nil {
		t.Errorf("valid seed rejected: %v", err)
	}
}
