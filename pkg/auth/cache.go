package auth

import (
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// verifiedCacheSize bounds the tokens whose verification is remembered. A client
// usually reuses one token for many requests, so a few thousand entries cover a busy
// server. Each entry costs about the size of its token plus its claims.
const verifiedCacheSize = 4096

// verifiedCache remembers tokens whose signature and claims verified, keyed by the
// whole token string: the same string carries the same signature, so a hit needs
// only the time checks that can change between requests (exp and nbf).
type verifiedCache struct {
	mu      sync.Mutex
	entries map[string]*Claims
}

func newVerifiedCache() *verifiedCache {
	return &verifiedCache{entries: make(map[string]*Claims, verifiedCacheSize)}
}

// get returns the cached claims of raw when they are still within their validity
// window at now, allowing leeway.
func (c *verifiedCache) get(raw string, now time.Time, leeway time.Duration) (*Claims, bool) {
	c.mu.Lock()
	claims, ok := c.entries[raw]
	c.mu.Unlock()
	if !ok {
		return nil, false
	}
	if claims.ExpiresAt == nil || !now.Before(claims.ExpiresAt.Add(leeway)) {
		return nil, false
	}
	if claims.NotBefore != nil && now.Add(leeway).Before(claims.NotBefore.Time) {
		return nil, false
	}
	return claims, true
}

// put remembers claims for raw. When the cache is full it drops an arbitrary half of
// the entries, which keeps memory bounded without tracking use order.
func (c *verifiedCache) put(raw string, claims *Claims) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= verifiedCacheSize {
		dropped := 0
		for k := range c.entries {
			delete(c.entries, k)
			if dropped++; dropped >= verifiedCacheSize/2 {
				break
			}
		}
	}
	c.entries[raw] = claims
}

// clone returns a copy of c whose slices the caller may change without touching
// the cached entry.
func (c *Claims) clone() *Claims {
	out := *c
	out.Roles = append([]string(nil), c.Roles...)
	out.Audience = append(jwt.ClaimStrings(nil), c.Audience...)
	return &out
}
