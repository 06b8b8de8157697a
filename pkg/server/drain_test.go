package server

import (
	"bufio"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestServe_DrainDelayKeepsAccepting checks that during the drain delay new requests
// still get responses while /ready reports 503, so that load balancers move away first.
func TestServe_DrainDelayKeepsAccepting(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.DrainDelay = 700 * time.Millisecond })
	base, stop := serveFixture(t, f)

	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()

	waitFor(t, "/ready to report draining", 5*time.Second, func() bool {
		return f.sendURL("GET", base+"/ready").status == 503
	})
	res := f.sendURL("GET", base+"/health")
	if res.status != 200 {
		t.Errorf("GET /health during the drain delay: %d, want 200", res.status)
	}
	if !closesAfterReply(t, base+"/health") {
		t.Error("a response during the drain delay keeps the connection open, want Connection: close")
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve after the drain = %v, want nil", err)
	}
}

// closesAfterReply sends one keep-alive GET on a raw connection and reports whether
// the server announced that it closes the connection after the response.
func closesAfterReply(t *testing.T, url string) bool {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", req.URL.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Close
}
