package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// limiterHarness lets one table of behaviour tests run against every
// Limiter. ttl is nil for limiters without per-key expiry.
type limiterHarness struct {
	limiter Limiter
	ttl     func(key string) (time.Duration, error)
}

var keyCounter atomic.Int64

// uniqueKey keeps subtests and repeated runs (-count) from sharing state.
func uniqueKey(name string) string {
	return fmt.Sprintf("%s-%d-%d", name, time.Now().UnixNano(), keyCounter.Add(1))
}

func testLimiterSemantics(t *testing.T, h limiterHarness) {
	t.Run("burst then deny", func(t *testing.T) { testBurstThenDeny(t, h) })
	t.Run("explicit burst", func(t *testing.T) { testExplicitBurst(t, h) })
	t.Run("refill over time", func(t *testing.T) { testRefill(t, h) })
	t.Run("keys are independent", func(t *testing.T) { testKeysIndependent(t, h) })
	t.Run("exactly limit of 100 concurrent", func(t *testing.T) { testConcurrent(t, h) })
	t.Run("invalid rules", func(t *testing.T) { testInvalidRules(t, h) })
	if h.ttl != nil {
		t.Run("ttl within window", func(t *testing.T) { testTTLWithinWindow(t, h) })
	}
}

func allow(t *testing.T, l Limiter, key string, rule Rule) Decision {
	t.Helper()
	d, err := l.Allow(context.Background(), key, rule)
	if err != nil {
		t.Fatalf("Allow(%q, %+v) error: %v", key, rule, err)
	}
	return d
}

func testBurstThenDeny(t *testing.T, h limiterHarness) {
	rule := Rule{Limit: 5, Period: time.Minute}
	key := uniqueKey("burst")
	for i := range 5 {
		d := allow(t, h.limiter, key, rule)
		if !d.Allowed {
			t.Fatalf("request %d: denied, want allowed (%+v)", i+1, d)
		}
		if want := 4 - i; d.Remaining != want {
			t.Errorf("request %d: Remaining = %d, want %d", i+1, d.Remaining, want)
		}
		if d.Limit != 5 {
			t.Errorf("request %d: Limit = %d, want 5", i+1, d.Limit)
		}
		if d.RetryAfter != 0 {
			t.Errorf("request %d: RetryAfter = %s, want 0 when allowed", i+1, d.RetryAfter)
		}
		if d.ResetAfter <= 0 || d.ResetAfter > time.Minute {
			t.Errorf("request %d: ResetAfter = %s, want in (0, 1m]", i+1, d.ResetAfter)
		}
	}

	d := allow(t, h.limiter, key, rule)
	if d.Allowed {
		t.Fatalf("request 6: allowed, want denied (%+v)", d)
	}
	if d.Remaining != 0 {
		t.Errorf("request 6: Remaining = %d, want 0", d.Remaining)
	}
	// One request is freed every 12 s (1 min / 5). The burst was used
	// within a few milliseconds, so the wait is just under 12 s.
	if d.RetryAfter <= 11*time.Second || d.RetryAfter > 12*time.Second {
		t.Errorf("request 6: RetryAfter = %s, want in (11s, 12s]", d.RetryAfter)
	}
	if d.ResetAfter <= 59*time.Second || d.ResetAfter > time.Minute {
		t.Errorf("request 6: ResetAfter = %s, want in (59s, 1m]", d.ResetAfter)
	}
}

func testExplicitBurst(t *testing.T, h limiterHarness) {
	rule := Rule{Limit: 10, Period: time.Minute, Burst: 3}
	key := uniqueKey("explicit")
	for i := range 3 {
		if d := allow(t, h.limiter, key, rule); !d.Allowed {
			t.Fatalf("request %d: denied, want allowed within burst 3 (%+v)", i+1, d)
		}
	}
	d := allow(t, h.limiter, key, rule)
	if d.Allowed {
		t.Fatalf("request 4: allowed, want denied after burst 3 (%+v)", d)
	}
	if d.RetryAfter <= 5*time.Second || d.RetryAfter > 6*time.Second {
		t.Errorf("request 4: RetryAfter = %s, want in (5s, 6s] (one request per 6s)", d.RetryAfter)
	}
}

func testRefill(t *testing.T, h limiterHarness) {
	// 10 per 500 ms: one request is freed every 50 ms.
	rule := Rule{Limit: 10, Period: 500 * time.Millisecond}
	key := uniqueKey("refill")
	for i := range 10 {
		if d := allow(t, h.limiter, key, rule); !d.Allowed {
			t.Fatalf("request %d: denied, want allowed (%+v)", i+1, d)
		}
	}
	d := allow(t, h.limiter, key, rule)
	if d.Allowed {
		t.Fatalf("request 11: allowed, want denied (%+v)", d)
	}
	if d.RetryAfter <= 0 || d.RetryAfter > 50*time.Millisecond {
		t.Fatalf("request 11: RetryAfter = %s, want in (0, 50ms]", d.RetryAfter)
	}

	time.Sleep(d.RetryAfter + 5*time.Millisecond)
	if d := allow(t, h.limiter, key, rule); !d.Allowed {
		t.Fatalf("after waiting RetryAfter: denied, want allowed (%+v)", d)
	}
	if d := allow(t, h.limiter, key, rule); d.Allowed {
		t.Fatalf("second request after one refill: allowed, want denied (%+v)", d)
	}
}

func testKeysIndependent(t *testing.T, h limiterHarness) {
	rule := Rule{Limit: 1, Period: time.Minute}
	a, b := uniqueKey("a"), uniqueKey("b")
	if d := allow(t, h.limiter, a, rule); !d.Allowed {
		t.Fatalf("key a first request denied: %+v", d)
	}
	if d := allow(t, h.limiter, a, rule); d.Allowed {
		t.Fatalf("key a second request allowed: %+v", d)
	}
	if d := allow(t, h.limiter, b, rule); !d.Allowed {
		t.Fatalf("key b first request denied after key a ran out: %+v", d)
	}
}

func testConcurrent(t *testing.T, h limiterHarness) {
	rule := Rule{Limit: 5, Period: time.Minute}
	key := uniqueKey("concurrent")
	var allowed, failed atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 100 {
		wg.Go(func() {
			<-start
			d, err := h.limiter.Allow(context.Background(), key, rule)
			if err != nil {
				failed.Add(1)
				return
			}
			if d.Allowed {
				allowed.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Fatalf("%d of 100 concurrent Allow calls returned an error", n)
	}
	if n := allowed.Load(); n != 5 {
		t.Errorf("%d of 100 concurrent requests allowed with limit 5, want exactly 5", n)
	}
}

func testInvalidRules(t *testing.T, h limiterHarness) {
	rules := []Rule{
		{Limit: 0, Period: time.Second},
		{Limit: -1, Period: time.Second},
		{Limit: 5, Period: 0},
		{Limit: 5, Period: time.Second, Burst: -1},
		{Limit: 2_000_000, Period: time.Second},
	}
	for _, r := range rules {
		if _, err := h.limiter.Allow(context.Background(), uniqueKey("invalid"), r); err == nil {
			t.Errorf("Allow with rule %+v: no error, want one", r)
		}
	}
}

func testTTLWithinWindow(t *testing.T, h limiterHarness) {
	rule := Rule{Limit: 5, Period: time.Minute}
	window := time.Minute // emission (12s) * burst (5)
	key := uniqueKey("ttl")
	for i := range 7 { // 5 allowed, 2 denied
		allow(t, h.limiter, key, rule)
		ttl, err := h.ttl(key)
		if err != nil {
			t.Fatalf("ttl(%q): %v", key, err)
		}
		if ttl <= 0 || ttl > window {
			t.Errorf("after request %d: key TTL = %s, want in (0, %s]", i+1, ttl, window)
		}
	}
}
