package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Backend names reported by Fallback.Backend.
const (
	BackendRedis  = "redis"
	BackendMemory = "memory"
)

// Defaults for Fallback.
const (
	DefaultRedisTimeout  = 50 * time.Millisecond
	DefaultProbeInterval = time.Second
	// DefaultFailureThreshold is how many Redis failures in a row switch
	// to Memory. One slow call under a load spike should not drop every
	// key's state; a stopped server fails three calls in microseconds.
	DefaultFailureThreshold = 3
)

// Fallback is a Limiter that uses Redis and decides with Memory while
// Redis fails. Its policy is to fail open to per-process limits: a Redis
// error or a call slower than the timeout never reaches the caller, the
// request is decided by Memory instead. After DefaultFailureThreshold
// failures in a row it switches to Memory and logs one warning. While on Memory it probes Redis at most once per probe interval,
// in the background, and switches back when Redis responds.
//
// Keys start fresh in Memory after a switch, so each server may allow up
// to one extra burst per key around an outage.
type Fallback struct {
	primary *Redis
	backup  *Memory
	logger  *slog.Logger

	timeout       time.Duration
	probeInterval time.Duration
	threshold     int64

	failures atomic.Int64 // Redis failures in a row

	onMemory  atomic.Bool
	probing   atomic.Bool
	lastProbe atomic.Int64 // unix nanoseconds

	redisErrors     atomic.Uint64
	memoryDecisions atomic.Uint64
	switches        atomic.Uint64

	hookMu   sync.Mutex
	onSwitch func(backend string)
}

// FallbackStats are counters for metrics.
type FallbackStats struct {
	Backend         string
	RedisErrors     uint64 // Redis calls that failed or timed out, probes included
	MemoryDecisions uint64 // requests decided by Memory because Redis was down
	Switches        uint64 // changes of backend in either direction
}

// NewFallback returns a Fallback that starts on primary with
// DefaultRedisTimeout and DefaultProbeInterval. A nil logger discards logs.
func NewFallback(primary *Redis, backup *Memory, logger *slog.Logger) *Fallback {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Fallback{
		primary:       primary,
		backup:        backup,
		logger:        logger,
		timeout:       DefaultRedisTimeout,
		probeInterval: DefaultProbeInterval,
		threshold:     DefaultFailureThreshold,
	}
}

// SetFailureThreshold sets how many Redis failures in a row switch to
// Memory. Memory decides each failed call either way. Call it before
// the first Allow.
func (f *Fallback) SetFailureThreshold(n int) {
	if n > 0 {
		f.threshold = int64(n)
	}
}

// SetTimeout sets how long one Redis call may take before the request is
// decided by Memory. Call it before the first Allow.
func (f *Fallback) SetTimeout(d time.Duration) {
	if d > 0 {
		f.timeout = d
	}
}

// SetProbeInterval sets the minimum time between Redis probes while on
// Memory. Call it before the first Allow.
func (f *Fallback) SetProbeInterval(d time.Duration) {
	if d > 0 {
		f.probeInterval = d
	}
}

// OnSwitch registers fn to be called with the new backend name after each
// switch, for example to set a metric. fn must not block.
func (f *Fallback) OnSwitch(fn func(backend string)) {
	f.hookMu.Lock()
	defer f.hookMu.Unlock()
	f.onSwitch = fn
}

// Backend returns BackendRedis or BackendMemory.
func (f *Fallback) Backend() string {
	if f.onMemory.Load() {
		return BackendMemory
	}
	return BackendRedis
}

// Stats returns the current counters.
func (f *Fallback) Stats() FallbackStats {
	return FallbackStats{
		Backend:         f.Backend(),
		RedisErrors:     f.redisErrors.Load(),
		MemoryDecisions: f.memoryDecisions.Load(),
		Switches:        f.switches.Load(),
	}
}

// Allow decides with Redis, or with Memory while Redis is failing. It
// returns an error only for an invalid rule, never a Redis error.
func (f *Fallback) Allow(ctx context.Context, key string, rule Rule) (Decision, error) {
	if _, err := rule.params(); err != nil {
		return Decision{}, err
	}
	if f.onMemory.Load() {
		f.maybeProbe()
		return f.fromMemory(ctx, key, rule)
	}

	d, err := f.callRedis(ctx, key, rule)
	if err == nil {
		f.failures.Store(0)
		return d, nil
	}
	// A caller that gave up is not a Redis failure, so no switch.
	if ctx.Err() == nil {
		f.redisErrors.Add(1)
		if f.failures.Add(1) >= f.threshold {
			f.switchTo(true, err)
		}
	}
	return f.fromMemory(ctx, key, rule)
}

func (f *Fallback) fromMemory(ctx context.Context, key string, rule Rule) (Decision, error) {
	f.memoryDecisions.Add(1)
	return f.backup.Allow(ctx, key, rule)
}

type redisResult struct {
	d   Decision
	err error
}

// callRedis bounds the Redis call by f.timeout. It waits in a goroutine
// because go-redis honours context deadlines on reads only when the client
// has ContextTimeoutEnabled, which the caller's client may not set. A call
// abandoned here finishes on its own within the client's ReadTimeout.
func (f *Fallback) callRedis(ctx context.Context, key string, rule Rule) (Decision, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	done := make(chan redisResult, 1)
	go func() {
		d, err := f.primary.Allow(ctx, key, rule)
		done <- redisResult{d, err}
	}()
	select {
	case r := <-done:
		return r.d, r.err
	case <-ctx.Done():
		return Decision{}, ctx.Err()
	}
}

// maybeProbe starts one background Redis ping when the probe interval has
// passed and no probe is running.
func (f *Fallback) maybeProbe() {
	now := time.Now().UnixNano()
	if now-f.lastProbe.Load() < f.probeInterval.Nanoseconds() {
		return
	}
	if !f.probing.CompareAndSwap(false, true) {
		return
	}
	f.lastProbe.Store(now)
	go func() {
		defer f.probing.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
		defer cancel()
		if err := f.primary.Ping(ctx); err != nil {
			f.redisErrors.Add(1)
			f.logger.Debug("redis rate limiter still unreachable", "error", err)
			return
		}
		f.switchTo(false, nil)
	}()
}

// switchTo moves to Memory (toMemory) or back to Redis, logging and calling
// the hook only when the backend actually changes.
func (f *Fallback) switchTo(toMemory bool, cause error) {
	if !f.onMemory.CompareAndSwap(!toMemory, toMemory) {
		return
	}
	f.switches.Add(1)
	backend := BackendRedis
	f.failures.Store(0)
	if toMemory {
		backend = BackendMemory
		f.lastProbe.Store(time.Now().UnixNano())
		f.logger.Warn("redis rate limiter unavailable; using in-memory limits per server until it returns",
			"error", cause, "timeout_ms", f.timeout.Milliseconds())
	} else {
		f.logger.Info("redis rate limiter reachable again; using redis")
	}
	f.hookMu.Lock()
	fn := f.onSwitch
	f.hookMu.Unlock()
	if fn != nil {
		fn(backend)
	}
}
