package swarm_test

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// load sends predictions from loadWorkers workers, each request as a new
// user so the rate limit never applies, until finish is called. It does not
// retry: every request that fails counts as lost.
type load struct {
	stop chan struct{}
	wg   sync.WaitGroup

	mu           sync.Mutex
	sent, failed int
	dialFailures int
	versions     map[int]int
	replicas     map[string]int
	errs         []string
}

const (
	loadWorkers = 4
	loadPause   = 20 * time.Millisecond
)

func (f *swarmFixture) startLoad() *load {
	l := &load{stop: make(chan struct{}), versions: map[int]int{}, replicas: map[string]int{}}
	for w := range loadWorkers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				case <-time.After(loadPause):
				}
				l.one(f, f.token(fmt.Sprintf("load-%d-%d", w, i)))
			}
		}()
	}
	return l
}

func (l *load) one(f *swarmFixture, tok string) {
	r, err := f.predict(tok)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent++
	l.dialFailures += r.dialFailures
	if err != nil || r.status != http.StatusOK {
		l.failed++
		l.errs = append(l.errs, fmt.Sprintf("status %d, error %v, body %q", r.status, err, r.body))
		return
	}
	l.versions[r.version]++
	l.replicas[r.servedBy]++
}

func (l *load) finish() {
	close(l.stop)
	l.wg.Wait()
}

func (l *load) versionsSeen() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Sorted(maps.Keys(l.versions))
}

// check logs the load's figures and fails the test when a request failed
// or the load hardly ran.
func (l *load) check(t *testing.T, phase string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	t.Logf("%s: %d requests, %d failed; %d replicas answered; model versions %v; "+
		"the proxy skipped %d refused or unreachable task addresses",
		phase, l.sent, l.failed, len(l.replicas), l.versions, l.dialFailures)
	if l.sent < 20 {
		t.Errorf("%s: only %d requests sent; the load did not run", phase, l.sent)
	}
	if l.failed != 0 {
		t.Errorf("%s: %d of %d requests failed, first: %s", phase, l.failed, l.sent, l.errs[0])
	}
}
