package ratelimit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mlops-dev/mlops/internal/testsvc"
)

func newTestRedis(t testing.TB, addr string) (*Redis, *redis.Client) {
	t.Helper()
	client := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { client.Close() })
	return NewRedis(client, "mlops:test:rl:"), client
}

func TestRedis_Semantics(t *testing.T) {
	r, _ := newTestRedis(t, testsvc.Redis(t))
	testLimiterSemantics(t, limiterHarness{
		limiter: r,
		ttl: func(key string) (time.Duration, error) {
			return r.keyTTL(context.Background(), key)
		},
	})
}

func TestRedis_RestoresRemovedTTL(t *testing.T) {
	r, client := newTestRedis(t, testsvc.Redis(t))
	ctx := context.Background()
	rule := Rule{Limit: 5, Period: time.Minute}

	tests := []struct {
		name     string
		requests int // before the TTL is removed
		want     bool
	}{
		{name: "on an allowed request", requests: 1, want: true},
		{name: "on a denied request", requests: 5, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := uniqueKey("persist")
			for range tt.requests {
				allow(t, r, key, rule)
			}
			if err := client.Persist(ctx, r.prefix+key).Err(); err != nil {
				t.Fatalf("PERSIST: %v", err)
			}
			if ttl, _ := r.keyTTL(ctx, key); ttl != -1 {
				t.Fatalf("TTL after PERSIST = %s, want -1 (no expiry)", ttl)
			}

			if d := allow(t, r, key, rule); d.Allowed != tt.want {
				t.Fatalf("Allowed = %v, want %v (%+v)", d.Allowed, tt.want, d)
			}
			ttl, err := r.keyTTL(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if ttl <= 0 || ttl > time.Minute {
				t.Errorf("TTL after next call = %s, want in (0, 1m]", ttl)
			}
		})
	}
}

func TestRedis_ScriptFlushed(t *testing.T) {
	r, client := newTestRedis(t, testsvc.Redis(t))
	ctx := context.Background()
	rule := Rule{Limit: 2, Period: time.Minute}
	key := uniqueKey("flush")

	allow(t, r, key, rule)
	if err := client.ScriptFlush(ctx).Err(); err != nil {
		t.Fatalf("SCRIPT FLUSH: %v", err)
	}
	if d := allow(t, r, key, rule); !d.Allowed || d.Remaining != 0 {
		t.Errorf("second request after SCRIPT FLUSH = %+v, want allowed with 0 remaining", d)
	}
	exists, err := client.ScriptExists(ctx, gcraScript.Hash()).Result()
	if err != nil {
		t.Fatal(err)
	}
	if !exists[0] {
		t.Errorf("script not cached after the EVAL fallback")
	}
}

func TestRedis_WithPassword(t *testing.T) {
	addr := testsvc.RedisWithPassword(t, "test-password-1234")
	tests := []struct {
		name     string
		password string
		wantErr  bool
	}{
		{name: "right password", password: "test-password-1234"},
		{name: "no password", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := redis.NewClient(&redis.Options{Addr: addr, Password: tt.password})
			defer client.Close()
			_, err := NewRedis(client, "pw:").Allow(context.Background(), uniqueKey("pw"), Rule{Limit: 1, Period: time.Second})
			if (err != nil) != tt.wantErr {
				t.Errorf("Allow error = %v, want error: %v", err, tt.wantErr)
			}
		})
	}
}

func TestRedis_UsesServerClock(t *testing.T) {
	// Two limiters sharing a server agree on one budget whatever each
	// process's clock reads, because the script reads TIME on the server.
	addr := testsvc.Redis(t)
	a, _ := newTestRedis(t, addr)
	b, _ := newTestRedis(t, addr)
	rule := Rule{Limit: 4, Period: time.Minute}
	key := uniqueKey("shared")
	allowed := 0
	for i := range 8 {
		l := a
		if i%2 == 1 {
			l = b
		}
		if allow(t, l, key, rule).Allowed {
			allowed++
		}
	}
	if allowed != 4 {
		t.Errorf("%d of 8 alternating requests allowed with limit 4, want 4", allowed)
	}
}

func BenchmarkRedisAllow(b *testing.B) {
	r, _ := newTestRedis(b, testsvc.Redis(b))
	if err := r.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	rule := Rule{Limit: 1_000_000, Period: time.Second}
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("subject-%d", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := r.Allow(context.Background(), keys[i%len(keys)], rule); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
