package ratelimit

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mlops-dev/mlops/internal/testsvc"
)

// callBound is the longest one Fallback.Allow may take in these tests: the
// 50 ms Redis timeout plus scheduling slack. Without the timeout a hung
// Redis holds a call for the client's 3 s read timeout.
const callBound = 500 * time.Millisecond

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newTestFallback(t *testing.T, addr string) (*Fallback, *syncBuffer) {
	t.Helper()
	client := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	f := NewFallback(NewRedis(client, "mlops:test:fb:"), NewMemory(), logger)
	f.SetProbeInterval(20 * time.Millisecond)
	return f, logs
}

func TestFallback_Semantics(t *testing.T) {
	f, _ := newTestFallback(t, testsvc.Redis(t))
	// The table checks decisions, not timeouts, and -race slows the 100
	// concurrent calls past 50 ms.
	f.SetTimeout(5 * time.Second)
	testLimiterSemantics(t, limiterHarness{limiter: f})
	if got := f.Backend(); got != BackendRedis {
		t.Errorf("Backend() = %q after the table with Redis up, want %q", got, BackendRedis)
	}
}

// steadyCalls runs n Allow calls and fails the test when one returns an
// error or takes longer than callBound.
func steadyCalls(t *testing.T, f *Fallback, n int, phase string) {
	t.Helper()
	rule := Rule{Limit: 1000, Period: time.Second}
	for i := range n {
		start := time.Now()
		_, err := f.Allow(context.Background(), "steady", rule)
		elapsed := time.Since(start)
		if err != nil {
			t.Fatalf("%s, call %d: Allow error %v, want none", phase, i, err)
		}
		if elapsed > callBound {
			t.Fatalf("%s, call %d: Allow took %s, want at most %s", phase, i, elapsed, callBound)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func waitForBackend(t *testing.T, f *Fallback, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		steadyCalls(t, f, 1, "waiting for "+want)
		if f.Backend() == want {
			return
		}
	}
	t.Fatalf("Backend() = %q after 5s, want %q", f.Backend(), want)
}

func TestFallback_RedisStopsAndReturns(t *testing.T) {
	srv := testsvc.StartRedis(t, "")
	f, logs := newTestFallback(t, srv.Addr)
	var mu sync.Mutex
	var switches []string
	f.OnSwitch(func(b string) {
		mu.Lock()
		switches = append(switches, b)
		mu.Unlock()
	})

	steadyCalls(t, f, 20, "redis up")
	if got := f.Backend(); got != BackendRedis {
		t.Fatalf("Backend() = %q with Redis up, want %q", got, BackendRedis)
	}

	srv.Stop()
	steadyCalls(t, f, 50, "redis stopped")
	if got := f.Backend(); got != BackendMemory {
		t.Fatalf("Backend() = %q with Redis stopped, want %q", got, BackendMemory)
	}
	if n := strings.Count(logs.String(), "redis rate limiter unavailable"); n != 1 {
		t.Errorf("logged the switch to memory %d times over 50 calls, want once", n)
	}

	srv.Start()
	waitForBackend(t, f, BackendRedis)

	mu.Lock()
	defer mu.Unlock()
	if want := []string{BackendMemory, BackendRedis}; strings.Join(switches, ",") != strings.Join(want, ",") {
		t.Errorf("OnSwitch calls = %v, want %v", switches, want)
	}
	st := f.Stats()
	if st.Switches != 2 || st.MemoryDecisions == 0 || st.RedisErrors == 0 {
		t.Errorf("Stats() = %+v, want 2 switches and non-zero memory decisions and Redis errors", st)
	}
}

func TestFallback_RedisHangs(t *testing.T) {
	srv := testsvc.StartRedis(t, "")
	f, _ := newTestFallback(t, srv.Addr)
	steadyCalls(t, f, 5, "redis up")

	srv.Pause()
	t.Cleanup(srv.Resume)
	steadyCalls(t, f, 20, "redis paused")
	if got := f.Backend(); got != BackendMemory {
		t.Fatalf("Backend() = %q with Redis paused, want %q", got, BackendMemory)
	}

	srv.Resume()
	waitForBackend(t, f, BackendRedis)
}

func TestFallback_ClosedPortAtStart(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	f, _ := newTestFallback(t, addr)
	rule := Rule{Limit: 2, Period: time.Minute}
	var allowed int
	for i := range 4 {
		d, err := f.Allow(context.Background(), "closed", rule)
		if err != nil {
			t.Fatalf("call %d: Allow error %v, want none", i, err)
		}
		if d.Allowed {
			allowed++
		}
	}
	if allowed != 2 {
		t.Errorf("%d of 4 requests allowed by the memory fallback with limit 2, want 2", allowed)
	}
	if got := f.Backend(); got != BackendMemory {
		t.Errorf("Backend() = %q, want %q", got, BackendMemory)
	}
}

func TestFallback_InvalidRuleIsAnError(t *testing.T) {
	f, _ := newTestFallback(t, "127.0.0.1:1")
	if _, err := f.Allow(context.Background(), "k", Rule{Limit: 0, Period: time.Second}); err == nil {
		t.Errorf("Allow with limit 0: no error, want one")
	}
	if got := f.Backend(); got != BackendRedis {
		t.Errorf("Backend() = %q after an invalid rule, want %q (no Redis call made)", got, BackendRedis)
	}
}

func TestFallback_CancelledCallerDoesNotSwitch(t *testing.T) {
	f, _ := newTestFallback(t, testsvc.Redis(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Allow(ctx, "cancelled", Rule{Limit: 1, Period: time.Second}); err != nil {
		t.Errorf("Allow with a cancelled context: error %v, want a memory decision", err)
	}
	if got := f.Backend(); got != BackendRedis {
		t.Errorf("Backend() = %q after a cancelled caller, want %q", got, BackendRedis)
	}
}

// BenchmarkFallbackAllow measures Fallback on a healthy Redis; compare it
// with BenchmarkRedisAllow for the cost of the timeout goroutine.
func BenchmarkFallbackAllow(b *testing.B) {
	client := redis.NewClient(&redis.Options{Addr: testsvc.Redis(b)})
	b.Cleanup(func() { client.Close() })
	f := NewFallback(NewRedis(client, "bench:"), NewMemory(), nil)
	rule := Rule{Limit: 1_000_000, Period: time.Second}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.Allow(context.Background(), "subject", rule); err != nil {
				b.Fatal(err)
			}
		}
	})
	if got := f.Backend(); got != BackendRedis {
		b.Errorf("Backend() = %q at the end, want %q (Redis too slow for the 50 ms timeout?); stats %+v", got, BackendRedis, f.Stats())
	}
}
