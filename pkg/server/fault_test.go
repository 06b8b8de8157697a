package server

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/internal/testsvc"
	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/ratelimit"
	"github.com/redis/go-redis/v9"
)

// TestRedisFault_ServesThroughOutage stops Redis under steady load: no
// request may fail with a 5xx, the server reports the memory limiter, and
// it returns to Redis by itself once Redis is back.
func TestRedisFault_ServesThroughOutage(t *testing.T) {
	rs := testsvc.StartRedis(t, "")
	client := redis.NewClient(&redis.Options{Addr: rs.Addr, MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { client.Close() })

	f := newRegistryFixture(t)
	f.publish(1)
	fallback := ratelimit.NewFallback(ratelimit.NewRedis(client, "fault:"), ratelimit.NewMemory(), nil)
	fallback.SetProbeInterval(50 * time.Millisecond)
	f.start(func(o *Options) {
		o.Limiter = fallback
		o.Rules = map[string]ratelimit.Rule{auth.RolePredict: {Limit: 1_000_000, Period: time.Second}}
	})
	tok := f.token("load", auth.RolePredict)

	var ok, fiveXX, failed atomic.Int64
	var lastErr atomic.Value
	ctx, stopLoad := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for ctx.Err() == nil {
				req, _ := http.NewRequest("POST", f.ts.URL+"/predict", strings.NewReader(`{"features":[5.1,3.5,1.4,0.2]}`))
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := f.ts.Client().Do(req)
				if err != nil {
					failed.Add(1)
					lastErr.Store(err.Error())
					continue
				}
				resp.Body.Close()
				switch {
				case resp.StatusCode >= 500:
					fiveXX.Add(1)
				case resp.StatusCode == 200:
					ok.Add(1)
				}
			}
		})
	}
	backend := func() string {
		return decodeJSON[api.ReadyResponse](t, f.do("GET", "/ready", "", "").body).Limiter
	}

	time.Sleep(200 * time.Millisecond)
	if b := backend(); b != ratelimit.BackendRedis {
		t.Errorf("limiter before the outage = %q, want redis", b)
	}
	rs.Stop()
	waitFor(t, "the switch to the memory limiter", 5*time.Second, func() bool { return backend() == ratelimit.BackendMemory })
	duringOutage := ok.Load()
	time.Sleep(300 * time.Millisecond)
	if ok.Load() == duringOutage {
		t.Errorf("no request succeeded while Redis was down")
	}
	rs.Start()
	waitFor(t, "the switch back to Redis", 10*time.Second, func() bool { return backend() == ratelimit.BackendRedis })
	time.Sleep(200 * time.Millisecond)
	stopLoad()
	wg.Wait()

	if fiveXX.Load() != 0 || failed.Load() != 0 {
		t.Errorf("%d answers were 5xx and %d requests failed (last error %v); want none", fiveXX.Load(), failed.Load(), lastErr.Load())
	}
	if ok.Load() < 100 {
		t.Errorf("only %d requests succeeded; the load did not run", ok.Load())
	}
	t.Logf("%d requests answered 200 across the outage", ok.Load())
}
