package server

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/internal/testsvc"
	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/ratelimit"
	"github.com/redis/go-redis/v9"
)

func redisLimiter(t testing.TB, addr string) *ratelimit.Redis {
	t.Helper()
	client := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 128, MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	return ratelimit.NewRedis(client, "mlops-test:")
}

func TestRateLimit_429AndHeaders(t *testing.T) {
	backends := []struct {
		name    string
		limiter func(t *testing.T) Limiter
	}{
		{"memory", func(t *testing.T) Limiter { return ratelimit.NewMemory() }},
		{"redis", func(t *testing.T) Limiter { return redisLimiter(t, testsvc.Redis(t)) }},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			rule := ratelimit.Rule{Limit: 3, Period: time.Minute}
			f := newFixture(t, func(o *Options) {
				o.Limiter = b.limiter(t)
				o.Rules = map[string]ratelimit.Rule{auth.RolePredict: rule, auth.RoleRead: rule}
			})
			alice := f.token("alice", auth.RolePredict)
			for i := range 3 {
				res := f.do("POST", "/predict", alice, `{"features":[5.1,3.5,1.4,0.2]}`)
				if res.status != 200 {
					t.Fatalf("request %d: status %d, want 200; body %s", i+1, res.status, res.body)
				}
				if got, want := res.header.Get("RateLimit-Remaining"), strconv.Itoa(2-i); got != want {
					t.Errorf("request %d: RateLimit-Remaining = %q, want %q", i+1, got, want)
				}
				if res.header.Get("RateLimit-Limit") != "3" || res.header.Get("RateLimit-Reset") == "" {
					t.Errorf("request %d: RateLimit-Limit %q Reset %q, want 3 and a value", i+1,
						res.header.Get("RateLimit-Limit"), res.header.Get("RateLimit-Reset"))
				}
			}

			res := f.do("POST", "/predict", alice, `{"features":[5.1,3.5,1.4,0.2]}`)
			if got := res.errorBody(t); res.status != 429 || got.Code != CodeRateLimited {
				t.Fatalf("4th request: %d %s, want 429 %s", res.status, got.Code, CodeRateLimited)
			}
			// One request per 20 s is the sustained rate, so the next is
			// allowed in at most 20 s.
			retry, err := strconv.Atoi(res.header.Get("Retry-After"))
			if err != nil || retry < 1 || retry > 20 {
				t.Errorf("Retry-After = %q, want 1..20 seconds", res.header.Get("Retry-After"))
			}
			if res.header.Get("RateLimit-Remaining") != "0" {
				t.Errorf("429 RateLimit-Remaining = %q, want 0", res.header.Get("RateLimit-Remaining"))
			}
			if n := metricValue(t, f.srv.metrics.rateLimitRejected.WithLabelValues(auth.RolePredict)); n != 1 {
				t.Errorf("mlops_ratelimit_rejected_total{role=predict} = %v, want 1", n)
			}

			// Subjects and roles have their own budgets.
			if res := f.do("POST", "/predict", f.token("bob", auth.RolePredict), `{"features":[5.1,3.5,1.4,0.2]}`); res.status != 200 {
				t.Errorf("another subject: status %d, want 200", res.status)
			}
			if res := f.do("GET", "/model/info", f.token("alice", auth.RoleRead), ""); res.status != 200 {
				t.Errorf("same subject, read role: status %d, want 200", res.status)
			}
		})
	}
}

// TestRateLimit_ConcurrentExactCount sends 100 requests at once for one
// subject under a limit of 5: exactly 5 may pass.
func TestRateLimit_ConcurrentExactCount(t *testing.T) {
	addr := testsvc.Redis(t)
	f := newFixture(t, func(o *Options) {
		o.Limiter = redisLimiter(t, addr)
		o.Rules = map[string]ratelimit.Rule{auth.RolePredict: {Limit: 5, Period: time.Minute}}
	})
	tok := f.token("alice", auth.RolePredict)
	var ok, limited, other atomic.Int64
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", f.ts.URL+"/predict", strings.NewReader(`{"features":[5.1,3.5,1.4,0.2]}`))
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := f.ts.Client().Do(req)
			if err != nil {
				other.Add(1)
				return
			}
			resp.Body.Close()
			switch resp.StatusCode {
			case 200:
				ok.Add(1)
			case 429:
				limited.Add(1)
			default:
				other.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 5 || limited.Load() != 95 || other.Load() != 0 {
		t.Errorf("100 concurrent requests: %d ok, %d limited, %d other; want 5, 95, 0", ok.Load(), limited.Load(), other.Load())
	}
}

// TestRateLimit_LimiterErrorFailsClosed uses a Redis limiter with no
// fallback pointed at a closed port: the response is a quick 503 without
// Redis error text, never a 500.
func TestRateLimit_LimiterErrorFailsClosed(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.Limiter = redisLimiter(t, closedPort(t))
		o.LimiterTimeout = 100 * time.Millisecond
	})
	start := time.Now()
	res := f.do("POST", "/predict", f.token("alice", auth.RolePredict), `{"features":[5.1,3.5,1.4,0.2]}`)
	elapsed := time.Since(start)
	got := res.errorBody(t)
	if res.status != 503 || got.Code != CodeLimiterUnavailable || res.header.Get("Retry-After") != "1" {
		t.Errorf("closed Redis: %d %s Retry-After %q, want 503 %s Retry-After 1", res.status, got.Code,
			res.header.Get("Retry-After"), CodeLimiterUnavailable)
	}
	if got.Message != "rate limiter unavailable; retry shortly" {
		t.Errorf("message %q leaks details", got.Message)
	}
	if elapsed > 2*time.Second {
		t.Errorf("answer took %s; the limiter timeout is 100ms", elapsed)
	}
}

func closedPort(t testing.TB) string {
	t.Helper()
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
