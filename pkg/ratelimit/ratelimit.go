// Package ratelimit limits request rates per key with the generic cell rate
// algorithm (GCRA), either in Redis, shared by every server, or in process
// memory. Fallback combines the two: it uses Redis and decides in memory
// while Redis is unreachable.
//
// GCRA stores one timestamp per key, the theoretical arrival time (TAT) of
// the next request. A rule of Limit requests per Period spaces requests
// Period/Limit apart (the emission interval) and lets up to Burst of them
// arrive at once. Unlike a fixed window it never allows two full bursts
// back to back at a window edge.
package ratelimit

import (
	"context"
	"fmt"
	"time"
)

// Rule allows Limit requests per Period, with bursts of up to Burst
// requests (0 means Limit).
type Rule struct {
	Limit  int
	Period time.Duration
	Burst  int
}

// Decision is the outcome of one Allow call. Limit is the rule's Limit.
// Remaining is how many more requests would be allowed right now.
// RetryAfter is zero when Allowed, otherwise the wait until one request
// is allowed again. ResetAfter is the wait until the key is back to a full
// burst; the key's storage expires then too.
type Decision struct {
	Allowed    bool
	Limit      int
	Remaining  int
	RetryAfter time.Duration
	ResetAfter time.Duration
}

// Limiter decides whether a request for key may proceed under rule.
type Limiter interface {
	Allow(ctx context.Context, key string, rule Rule) (Decision, error)
}

// params are a rule converted to the integer microsecond values that both
// the Lua script and Memory compute with, so both round identically.
type params struct {
	emission  int64 // microseconds between requests at the sustained rate
	tolerance int64 // emission * burst: how far ahead of now the TAT may run
}

func (r Rule) params() (params, error) {
	if r.Limit <= 0 {
		return params{}, fmt.Errorf("rate limit %d is not positive", r.Limit)
	}
	if r.Period <= 0 {
		return params{}, fmt.Errorf("rate limit period %s is not positive", r.Period)
	}
	if r.Burst < 0 {
		return params{}, fmt.Errorf("rate limit burst %d is negative", r.Burst)
	}
	burst := r.Burst
	if burst == 0 {
		burst = r.Limit
	}
	emission := r.Period.Microseconds() / int64(r.Limit)
	if emission < 1 {
		return params{}, fmt.Errorf("rate limit %d per %s is finer than one request per microsecond", r.Limit, r.Period)
	}
	return params{emission: emission, tolerance: emission * int64(burst)}, nil
}

// gcra applies one request at now to a key whose stored TAT is tat (0 for
// a new or expired key). It returns the decision and the TAT to store.
// The Lua script in redis.go implements the same steps.
func gcra(now, tat int64, p params, limit int) (Decision, int64) {
	if tat < now {
		tat = now
	}
	newTAT := tat + p.emission
	allowAt := newTAT - p.tolerance
	diff := now - allowAt
	if diff < 0 {
		return Decision{
			Limit:      limit,
			RetryAfter: micros(-diff),
			ResetAfter: micros(tat - now),
		}, tat
	}
	return Decision{
		Allowed:    true,
		Limit:      limit,
		Remaining:  int(diff / p.emission),
		ResetAfter: micros(newTAT - now),
	}, newTAT
}

func micros(us int64) time.Duration {
	return time.Duration(us) * time.Microsecond
}

// RetryAfterSeconds returns RetryAfter rounded up to whole seconds for the
// Retry-After header: at least 1 for a denial, 0 when allowed. Rounding
// down would invite a retry that is denied again.
func (d Decision) RetryAfterSeconds() int {
	if d.Allowed {
		return 0
	}
	return max(1, ceilSeconds(d.RetryAfter))
}

// ResetAfterSeconds returns ResetAfter rounded up to whole seconds, for the
// reset field of the RateLimit header.
func (d Decision) ResetAfterSeconds() int {
	return ceilSeconds(d.ResetAfter)
}

func ceilSeconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}
