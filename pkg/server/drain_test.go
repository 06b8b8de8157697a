package server

import (
	"testing"
	"time"
)

// TestServe_DrainDelayKeepsAccepting checks that during the drain delay new requests
// are still answered while /ready reports 503, so that load balancers move away first.
func TestServe_DrainDelayKeepsAccepting(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.DrainDelay = 700 * time.Millisecond })
	base, stop := serveFixture(t, f)

	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()

	waitFor(t, "/ready to report draining", 5*time.Second, func() bool {
		return f.sendURL("GET", base+"/ready").status == 503
	})
	if res := f.sendURL("GET", base+"/health"); res.status != 200 {
		t.Errorf("GET /health during the drain delay: %d, want 200", res.status)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve after the drain = %v, want nil", err)
	}
}
