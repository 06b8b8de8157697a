package server

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/model"
)

// startSlowPredict sends POST /predict whose body stays open until the
// returned finish function is called, and waits until the server holds the
// request. The result arrives on the channel.
func (f *fixture) startSlowPredict(url, token string) (finish func(), done <-chan result) {
	f.t.Helper()
	before := metricValue(f.t, f.srv.metrics.inFlight)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", url+"/predict", pr)
	req.Header.Set("Authorization", "Bearer "+token)
	ch := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			ch <- result{status: -1, body: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		ch <- result{status: resp.StatusCode, header: resp.Header, body: b}
	}()
	_, _ = pw.Write([]byte(`{"features":`))
	waitFor(f.t, "the slow request to be in flight", 5*time.Second, func() bool {
		return metricValue(f.t, f.srv.metrics.inFlight) > before
	})
	return func() {
		_, _ = pw.Write([]byte(`[5.1,3.5,1.4,0.2]}`))
		pw.Close()
	}, ch
}

func TestReload_InFlightRequestKeepsItsModel(t *testing.T) {
	f := newFixture(t, nil)
	finish, done := f.startSlowPredict(f.ts.URL, f.token("p", auth.RolePredict))

	f.publish(2)
	res := f.do("POST", "/admin/reload", f.token("admin", auth.RoleAdmin), "")
	if res.status != 200 {
		t.Fatalf("POST /admin/reload: %d %s", res.status, res.body)
	}
	got := decodeJSON[api.ReloadResponse](t, res.body)
	if got.Previous.Version != 1 || got.Current.Version != 2 {
		t.Errorf("reload answered %+v, want 1 -> 2", got)
	}

	finish()
	slow := <-done
	if slow.status != 200 {
		t.Fatalf("in-flight request: %d %s", slow.status, slow.body)
	}
	if v := decodeJSON[api.PredictResponse](t, slow.body).Model.Version; v != 1 {
		t.Errorf("in-flight request answered by version %d, want 1 (the model it started with)", v)
	}
	after := f.do("POST", "/predict", f.token("p", auth.RolePredict), `{"features":[5.1,3.5,1.4,0.2]}`)
	if v := decodeJSON[api.PredictResponse](t, after.body).Model.Version; v != 2 {
		t.Errorf("request after reload answered by version %d, want 2", v)
	}
	if n := metricValue(t, f.srv.metrics.reloads.WithLabelValues("success")); n != 1 {
		t.Errorf("mlops_model_reloads_total{result=success} = %v, want 1", n)
	}
}

func TestReload_TamperedVersionKeepsOldModel(t *testing.T) {
	f := newFixture(t, nil)
	f.publish(2)
	f.tamper(2, model.ForestFile)

	err := f.srv.Reload(context.Background())
	if err == nil || !strings.Contains(err.Error(), model.ForestFile) {
		t.Fatalf("Reload of a tampered version: %v, want an error naming %s", err, model.ForestFile)
	}
	res := f.do("POST", "/admin/reload", f.token("admin", auth.RoleAdmin), "")
	if got := res.errorBody(t); res.status != 500 || got.Code != CodeReloadFailed || !strings.Contains(got.Message, model.ForestFile) {
		t.Errorf("POST /admin/reload: %d %s %q, want 500 %s naming %s", res.status, got.Code, got.Message, CodeReloadFailed, model.ForestFile)
	}
	pred := f.do("POST", "/predict", f.token("p", auth.RolePredict), `{"features":[5.1,3.5,1.4,0.2]}`)
	if v := decodeJSON[api.PredictResponse](t, pred.body).Model.Version; pred.status != 200 || v != 1 {
		t.Errorf("after failed reloads: status %d version %d, want 200 from version 1", pred.status, v)
	}
	if n := metricValue(t, f.srv.metrics.reloads.WithLabelValues("failure")); n != 2 {
		t.Errorf("mlops_model_reloads_total{result=failure} = %v, want 2", n)
	}
	if !strings.Contains(f.logs.String(), "model reload failed") {
		t.Errorf("failed reload not logged:\n%s", f.logs.String())
	}
}

func TestNew_RejectsBadModelOrOptions(t *testing.T) {
	f := newRegistryFixture(t)
	f.publish(1)
	f.tamper(1, model.SpecFile)
	if _, err := New(f.baseOptions()); err == nil || !strings.Contains(err.Error(), model.SpecFile) {
		t.Errorf("New with a tampered %s: %v, want an error naming the file", model.SpecFile, err)
	}

	g := newRegistryFixture(t)
	g.publish(1)
	tests := []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"no verifier", func(o *Options) { o.Verifier = nil }, "no token verifier"},
		{"no limiter", func(o *Options) { o.Limiter = nil }, "no rate limiter"},
		{"no public key", func(o *Options) { o.PublicKey = nil }, "no valid ed25519 public key"},
		{"cert without key", func(o *Options) { o.TLSCert = "cert.pem" }, "TLS needs both"},
		{"missing cert files", func(o *Options) { o.TLSCert, o.TLSKey = "/nonexistent/c.pem", "/nonexistent/k.pem" },
			`load TLS certificate "/nonexistent/c.pem"`},
		{"unknown model", func(o *Options) { o.Ref.Name = "wine" }, "load model wine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := g.baseOptions()
			tt.edit(&opts)
			if _, err := New(opts); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// serveFixture runs the server with Serve on a loopback listener and
// returns its base URL and a function that cancels it and returns Serve's
// result.
func serveFixture(t *testing.T, f *fixture) (string, func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- f.srv.Serve(ctx, ln, nil) }()
	stop := func() error {
		cancel()
		select {
		case err := <-errc:
			return err
		case <-time.After(15 * time.Second):
			t.Fatal("Serve did not return 15 s after cancel")
			return nil
		}
	}
	t.Cleanup(func() { cancel() })
	return "http://" + ln.Addr().String(), stop
}

func TestWatch_ReloadsWhenAliasMoves(t *testing.T) {
	f := newRegistryFixture(t)
	f.publish(1)
	f.publish(2)
	if err := f.reg.SetAlias("iris", "production", 1); err != nil {
		t.Fatal(err)
	}
	f.start(func(o *Options) { o.WatchInterval = 10 * time.Millisecond })
	base, stop := serveFixture(t, f)
	defer stop()

	version := func() int {
		return decodeJSON[api.ReadyResponse](t, f.sendURL("GET", base+"/ready").body).Model.Version
	}
	if v := version(); v != 1 {
		t.Fatalf("serving version %d, want 1 from the production alias", v)
	}
	if err := f.reg.SetAlias("iris", "production", 2); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the watcher to load version 2", 5*time.Second, func() bool { return version() == 2 })

	// A tampered version the alias moves to is refused once and not retried.
	f.publish(3)
	f.tamper(3, model.ForestFile)
	if err := f.reg.SetAlias("iris", "production", 3); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a failed reload", 5*time.Second, func() bool {
		return metricValue(t, f.srv.metrics.reloads.WithLabelValues("failure")) >= 1
	})
	time.Sleep(100 * time.Millisecond)
	if n := metricValue(t, f.srv.metrics.reloads.WithLabelValues("failure")); n != 1 {
		t.Errorf("failures = %v after 10 ticks, want 1: a bad version is not retried every tick", n)
	}
	if v := version(); v != 2 {
		t.Errorf("serving version %d after a tampered alias target, want 2", v)
	}
}

func (f *fixture) sendURL(method, url string) result {
	f.t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	return f.send(req)
}

func TestServe_GracefulShutdown(t *testing.T) {
	f := newFixture(t, nil)
	base, stop := serveFixture(t, f)
	if res := f.sendURL("GET", base+"/health"); res.status != 200 {
		t.Fatalf("GET /health before shutdown: %d", res.status)
	}

	finish, done := f.startSlowPredict(base, f.token("p", auth.RolePredict))
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()

	// New connections are refused once shutdown has begun.
	waitFor(t, "the listener to close", 5*time.Second, func() bool {
		conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), 100*time.Millisecond)
		if err == nil {
			conn.Close()
		}
		return err != nil
	})
	select {
	case err := <-stopped:
		t.Fatalf("Serve returned (%v) while a request was in flight", err)
	default:
	}

	finish()
	if res := <-done; res.status != 200 {
		t.Errorf("in-flight request during shutdown: %d %s, want 200", res.status, res.body)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve after graceful shutdown = %v, want nil", err)
	}
}
