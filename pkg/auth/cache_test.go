package auth

import (
	"errors"
	"testing"
	"time"
)

// TestVerify_CachedTokenStillExpires checks that a token remembered as verified is
// rejected once its expiry, plus leeway, has passed.
func TestVerify_CachedTokenStillExpires(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	v, err := newVerifier(hsConfig(), clock)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := NewIssuer(hsConfig())
	if err != nil {
		t.Fatal(err)
	}
	raw, _, err := iss.Issue("alice", []string{RolePredict}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}

	for range 2 { // the second call is served from the cache
		claims, err := v.Verify(raw)
		if err != nil {
			t.Fatalf("Verify fresh token: %v", err)
		}
		if claims.Subject != "alice" {
			t.Errorf("subject = %q, want alice", claims.Subject)
		}
		claims.Roles[0] = "admin" // must not leak into the cached copy
	}
	claims, err := v.Verify(raw)
	if err != nil || claims.HasRole(RoleAdmin) {
		t.Errorf("cached claims were changed by a caller: %v, %v", claims, err)
	}

	now = now.Add(time.Minute + DefaultLeeway + time.Second)
	_, err = v.Verify(raw)
	if !errors.Is(err, ErrTokenExpired) {
		t.Errorf("Verify after expiry = %v, want token_expired", err)
	}
}

func TestVerifiedCache_StaysBounded(t *testing.T) {
	c := newVerifiedCache()
	exp := &Claims{}
	for i := range 3 * verifiedCacheSize {
		c.put(string(rune(i))+"token", exp)
	}
	if n := len(c.entries); n > verifiedCacheSize {
		t.Errorf("cache holds %d entries, want at most %d", n, verifiedCacheSize)
	}
}
