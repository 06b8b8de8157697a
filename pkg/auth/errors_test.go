package auth

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"
)

func TestError_IsMatchesCode(t *testing.T) {
	v := mustVerifier(t, hsConfig())
	raw := craft(t, jwt.SigningMethodHS256, testSecret, goodClaims(-2*time.Hour), map[string]any{"kid": "hs1"})
	_, err := v.Verify(raw)
	wrapped := fmt.Errorf("authenticate request: %w", err)
	if !errors.Is(wrapped, ErrTokenExpired) {
		t.Errorf("errors.Is(%v, ErrTokenExpired) = false, want true", wrapped)
	}
	if errors.Is(wrapped, ErrTokenMalformed) {
		t.Errorf("errors.Is(%v, ErrTokenMalformed) = true, want false", wrapped)
	}
	var ae *Error
	if !errors.As(wrapped, &ae) || ae.Status != 401 {
		t.Errorf("errors.As to *Error failed or wrong status: %v", wrapped)
	}
	if !errors.Is(err, jwt.ErrTokenExpired) {
		t.Errorf("Unwrap does not reach jwt.ErrTokenExpired")
	}
}

// TestErrors_NeverContainSecrets collects the error text of every failure
// path that handles a token, key or client secret and checks that none of
// those values appears in it.
func TestErrors_NeverContainSecrets(t *testing.T) {
	cfg := hsConfig()
	iss := mustIssuer(t, cfg)
	raw := mustIssue(t, iss, "alice", RoleRead)
	otherKey := cfg
	otherKey.Keys = []Key{{ID: "hs1", Secret: testSecretOther}}

	store, err := OpenClients(filepath.Join(t.TempDir(), "clients.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SetCost(bcrypt.MinCost); err != nil {
		t.Fatal(err)
	}
	clientSecret, err := store.Add("svc", []string{RoleRead})
	if err != nil {
		t.Fatal(err)
	}

	placeholder := "changeme-changeme-changeme-changeme-0123"
	shortCfg := cfg
	shortCfg.Keys = []Key{{ID: "hs1", Secret: []byte("short-key-value")}}
	badCfg := cfg
	badCfg.Keys = []Key{{ID: "hs1", Secret: []byte(placeholder)}}

	var errs []error
	collect := func(_ any, err error) { errs = append(errs, err) }
	collect(mustVerifier(t, otherKey).Verify(raw))
	collect(mustVerifier(t, cfg).Verify(flipSignature(raw)))
	collect(mustVerifier(t, cfg).Verify(raw + "x"))
	collect(mustVerifier(t, cfg).Verify(strings.Replace(raw, ".", "..", 1)))
	collect(NewVerifier(shortCfg))
	collect(NewIssuer(badCfg))
	collect(store.Authenticate("svc", clientSecret+"x"))
	collect(store.Authenticate("nobody", clientSecret))
	errs = append(errs, ValidateSecret([]byte(placeholder)))

	secrets := []string{raw, string(testSecret), string(testSecretOther), clientSecret, placeholder, "short-key-value"}
	secrets = append(secrets, strings.Split(raw, ".")...)
	for _, err := range errs {
		if err == nil {
			t.Errorf("a failure path returned no error")
			continue
		}
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error %q contains secret material %q", err, s)
			}
		}
	}
}
