package ratelimit

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

//go:embed gcra.lua
var gcraSource string

var gcraScript = redis.NewScript(gcraSource)

// Redis is a Limiter that keeps each key's TAT in Redis and decides in one
// Lua script, so the read, the decision and the write are one atomic step
// and one round trip. The script reads the clock with TIME on the Redis
// server, so servers with skewed clocks still agree.
type Redis struct {
	client redis.UniversalClient
	prefix string
}

// NewRedis returns a Limiter that stores keys as prefix+key.
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// Allow runs the GCRA script for key. It returns an error only when rule
// is invalid or Redis fails; it never reports a denial as an error.
func (r *Redis) Allow(ctx context.Context, key string, rule Rule) (Decision, error) {
	p, err := rule.params()
	if err != nil {
		return Decision{}, err
	}
	// Script.Run sends EVALSHA and falls back to EVAL when the server has
	// not cached the script yet (NOSCRIPT), for example after a restart.
	res, err := gcraScript.Run(ctx, r.client, []string{r.prefix + key}, p.emission, p.tolerance).Int64Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("redis rate limit script: %w", err)
	}
	if len(res) != 4 {
		return Decision{}, fmt.Errorf("redis rate limit script returned %d values, want 4", len(res))
	}
	return Decision{
		Allowed:    res[0] == 1,
		Limit:      rule.Limit,
		Remaining:  int(res[1]),
		RetryAfter: micros(res[2]),
		ResetAfter: micros(res[3]),
	}, nil
}

// Ping sends PING and returns an error when Redis does not reply.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}

// Load sends the script to Redis ahead of the first Allow, so a fresh
// server does not pay for EVAL on the first request.
func (r *Redis) Load(ctx context.Context) error {
	if err := gcraScript.Load(ctx, r.client).Err(); err != nil {
		return fmt.Errorf("load redis rate limit script: %w", err)
	}
	return nil
}

// keyTTL returns the remaining TTL of key as Redis reports it; tests use it.
func (r *Redis) keyTTL(ctx context.Context, key string) (time.Duration, error) {
	return r.client.PTTL(ctx, r.prefix+key).Result()
}
