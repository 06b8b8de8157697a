package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/internal/testsvc"
	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/forest"
	"github.com/mlops-dev/mlops/pkg/ratelimit"
)

// benchConns is the number of concurrent client connections in
// BenchmarkPredictHTTP, and benchRounds the number of times the server and
// ceiling loads alternate.
const (
	benchConns  = 64
	benchRounds = 4
)

var predictBody = []byte(`{"features":[5.1,3.5,1.4,0.2]}`)

// BenchmarkPredictHTTP loads POST /predict over loopback with a real token
// and the Redis limiter, and in the same run a minimal handler that does
// only the same JWT check and one Redis command (the limiter's EVALSHA):
// the ceiling. It reports both rates, their ratio, the p99 latency of
// each at full load and the server's p99 at half the ceiling's rate. It
// also reports the peak resident memory of the process, which is an upper
// bound for the server because the load generator shares the process.
func BenchmarkPredictHTTP(b *testing.B) {
	redisAddr := testsvc.Redis(b)
	f := newRegistryFixture(b)
	if _, err := f.reg.Publish("iris", irisForest(b, 1, forest.DefaultParams().Trees), f.priv); err != nil {
		b.Fatalf("Publish: %v", err)
	}
	limiter := redisLimiter(b, redisAddr)
	huge := ratelimit.Rule{Limit: 1_000_000, Period: time.Second}
	f.start(func(o *Options) {
		o.Limiter = limiter
		o.Rules = map[string]ratelimit.Rule{auth.RolePredict: huge}
		o.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
		// The ceiling waits for Redis without a deadline, so the server does
		// too; on a loaded machine the default would turn waits into 503s.
		o.LimiterTimeout = 10 * time.Second
	})
	token := f.token("bench", auth.RolePredict)

	ceiling := httptest.NewServer(ceilingHandler(f.verifier, limiter, huge))
	b.Cleanup(ceiling.Close)

	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns: benchConns, MaxIdleConnsPerHost: benchConns, MaxConnsPerHost: benchConns,
	}}
	for _, url := range []string{f.ts.URL, ceiling.URL} {
		if status := benchRequest(client, url+"/predict", token); status != 200 {
			b.Fatalf("warm-up POST %s/predict: status %d", url, status)
		}
	}

	// The two loads alternate in rounds, so a change in the machine's other
	// load during the run affects both alike.
	b.ResetTimer()
	var srv, ceil loadResult
	for range benchRounds {
		n := max(b.N/benchRounds, 1)
		srv.add(runLoad(client, f.ts.URL+"/predict", token, n, 0))
		ceil.add(runLoad(client, ceiling.URL+"/predict", token, n, 0))
	}
	half := runLoad(client, f.ts.URL+"/predict", token, max(b.N/2, 1), ceil.rate()/2)
	// The ceiling at the same rate shows how much of the tail latency the machine
	// itself adds (scheduling of the load generator, Redis and the handler on shared
	// cores), apart from the server's own work.
	ceilHalf := runLoad(client, ceiling.URL+"/predict", token, max(b.N/2, 1), ceil.rate()/2)
	b.StopTimer()

	b.ReportMetric(srv.rate(), "server-req/s")
	b.ReportMetric(ceil.rate(), "ceiling-req/s")
	b.ReportMetric(srv.rate()/ceil.rate(), "ratio")
	b.ReportMetric(srv.p99().Seconds()*1e6, "server-p99-µs")
	b.ReportMetric(ceil.p99().Seconds()*1e6, "ceiling-p99-µs")
	b.ReportMetric(half.p99().Seconds()*1e6, "half-rate-p99-µs")
	b.ReportMetric(ceilHalf.p99().Seconds()*1e6, "ceiling-half-rate-p99-µs")
	b.ReportMetric(peakRSSMB(), "peak-rss-MB")
	if srv.failed+ceil.failed+half.failed+ceilHalf.failed > 0 {
		b.Errorf("non-200 answers: server %d, ceiling %d, half rate %d", srv.failed, ceil.failed, half.failed)
	}
}

// ceilingHandler verifies the bearer token and makes one limiter call, and
// nothing else.
func ceilingHandler(v *auth.Verifier, limiter *ratelimit.Redis, rule ratelimit.Rule) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := auth.BearerToken(r)
		if err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		claims, err := v.Verify(raw)
		if err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if _, err := limiter.Allow(r.Context(), "ceiling:"+claims.Subject, rule); err != nil {
			http.Error(w, "limiter", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}` + "\n"))
	})
}

// loadResult collects the latencies of one or more load runs.
type loadResult struct {
	latencies []time.Duration
	elapsed   time.Duration
	failed    int64
}

func (r *loadResult) add(o loadResult) {
	r.latencies = append(r.latencies, o.latencies...)
	r.elapsed += o.elapsed
	r.failed += o.failed
}

// rate returns requests per second.
func (r *loadResult) rate() float64 {
	return float64(len(r.latencies)) / r.elapsed.Seconds()
}

func (r *loadResult) p99() time.Duration {
	all := slices.Clone(r.latencies)
	slices.Sort(all)
	return all[min(len(all)-1, len(all)*99/100)]
}

// runLoad sends n requests from benchConns goroutines. With rate > 0 the
// requests are paced to that total rate (open loop: each goroutine sends
// on its own schedule, and latency counts from the send time).
func runLoad(client *http.Client, url, token string, n int, rate float64) loadResult {
	var next atomic.Int64
	var failed atomic.Int64
	latencies := make([][]time.Duration, benchConns)
	interval := time.Duration(0)
	if rate > 0 {
		interval = time.Duration(float64(benchConns) / rate * float64(time.Second))
	}

	start := time.Now()
	var wg sync.WaitGroup
	for g := range benchConns {
		wg.Go(func() {
			due := start.Add(time.Duration(g) * interval / benchConns)
			for next.Add(1) <= int64(n) {
				if interval > 0 {
					time.Sleep(time.Until(due))
					due = due.Add(interval)
				}
				t0 := time.Now()
				if benchRequest(client, url, token) != 200 {
					failed.Add(1)
				}
				latencies[g] = append(latencies[g], time.Since(t0))
			}
		})
	}
	wg.Wait()
	return loadResult{latencies: slices.Concat(latencies...), elapsed: time.Since(start), failed: failed.Load()}
}

func benchRequest(client *http.Client, url, token string) int {
	req, _ := http.NewRequest("POST", url, bytes.NewReader(predictBody))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return -1
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// peakRSSMB reads the process's peak resident set size (VmHWM) on Linux.
func peakRSSMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkDecodePredict measures the strict request decoder alone.
func BenchmarkDecodePredict(b *testing.B) {
	f := newFixture(b, nil)
	l := f.srv.current.Load()
	row := make([]float64, l.numFeatures())
	named := []byte(`{"features":{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}}`)
	for _, body := range []struct {
		name string
		data []byte
	}{{"positional", predictBody}, {"named", named}} {
		b.Run(body.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := decodePredict(body.data, l, row); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHandlerPredict measures the full middleware chain and handler
// in process, without the network and with the memory limiter.
func BenchmarkHandlerPredict(b *testing.B) {
	f := newFixture(b, func(o *Options) {
		o.Rules = map[string]ratelimit.Rule{auth.RolePredict: {Limit: 1_000_000, Period: time.Second}}
		o.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	})
	h := f.srv.Handler()
	token := "Bearer " + f.token("bench", auth.RolePredict)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequestWithContext(context.Background(), "POST", "/predict", bytes.NewReader(predictBody))
			req.Header.Set("Authorization", token)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
}
