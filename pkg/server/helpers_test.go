package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/dataset"
	"github.com/mlops-dev/mlops/pkg/forest"
	"github.com/mlops-dev/mlops/pkg/model"
	"github.com/mlops-dev/mlops/pkg/ratelimit"
	"github.com/mlops-dev/mlops/pkg/registry"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

const (
	testIssuer   = "mlops-test"
	testAudience = "mlops-api"
	testKID      = "k1"
)

// trained caches the files of Iris models per seed and tree count:
// training is the slow part of a fixture and the files are immutable.
var trained struct {
	sync.Mutex
	files map[[2]int64]map[string][]byte
}

// testTrees keeps test fixtures fast; benchmarks use the default forest.
const testTrees = 50

// irisFiles trains a forest of testTrees trees on the built-in Iris data and
// encodes it as the files of a model version.
func irisFiles(t testing.TB, seed int64) map[string][]byte {
	return irisForest(t, seed, testTrees)
}

func irisForest(t testing.TB, seed int64, trees int) map[string][]byte {
	t.Helper()
	trained.Lock()
	defer trained.Unlock()
	key := [2]int64{seed, int64(trees)}
	if f, ok := trained.files[key]; ok {
		return f
	}
	ds := dataset.Iris()
	p := forest.DefaultParams()
	p.Trees = trees
	p.Seed = seed
	f, err := forest.Fit(context.Background(), ds.X, ds.Y, len(ds.Classes), p, nil)
	if err != nil {
		t.Fatalf("forest.Fit on iris: %v", err)
	}
	spec := model.Spec{
		Algorithm: "random_forest", Features: ds.Features, Label: ds.Label,
		Classes: ds.Classes, Stats: dataset.Stats(ds),
	}
	meta := model.Metadata{CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Algorithm: "random_forest", Params: p}
	files, err := model.Encode(spec, meta, f)
	if err != nil {
		t.Fatalf("model.Encode: %v", err)
	}
	if trained.files == nil {
		trained.files = map[[2]int64]map[string][]byte{}
	}
	trained.files[key] = files
	return files
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
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

// fixture is a server over a real registry with a signed Iris model, real
// token issuer and verifier, and a clients file.
type fixture struct {
	t        testing.TB
	root     string
	reg      *registry.Registry
	priv     ed25519.PrivateKey
	pub      ed25519.PublicKey
	secret   []byte
	issuer   *auth.Issuer
	verifier *auth.Verifier
	clients  *auth.ClientStore
	logs     *syncBuffer
	opts     Options
	srv      *Server
	ts       *httptest.Server
}

// newFixture publishes iris v1 and starts an httptest server. edit, when
// not nil, changes the options before New.
func newFixture(t testing.TB, edit func(*Options)) *fixture {
	t.Helper()
	f := newRegistryFixture(t)
	f.publish(1)
	f.start(edit)
	return f
}

func newRegistryFixture(t testing.TB) *fixture {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, root: t.TempDir(), pub: pub, priv: priv, logs: &syncBuffer{}}
	f.reg = registry.Open(f.root)
	f.secret = make([]byte, 48)
	_, _ = rand.Read(f.secret)
	cfg := auth.Config{
		Algorithm: auth.AlgHS256, Issuer: testIssuer, Audience: testAudience,
		Keys: []auth.Key{{ID: testKID, Secret: f.secret}},
	}
	if f.issuer, err = auth.NewIssuer(cfg); err != nil {
		t.Fatalf("auth.NewIssuer: %v", err)
	}
	if f.verifier, err = auth.NewVerifier(cfg); err != nil {
		t.Fatalf("auth.NewVerifier: %v", err)
	}
	if f.clients, err = auth.OpenClients(filepath.Join(t.TempDir(), "clients.json")); err != nil {
		t.Fatalf("auth.OpenClients: %v", err)
	}
	if err := f.clients.SetCost(4); err != nil { // the bcrypt minimum keeps tests fast
		t.Fatalf("SetCost: %v", err)
	}
	return f
}

func (f *fixture) baseOptions() Options {
	return Options{
		Registry:  f.reg,
		Ref:       registry.Ref{Name: "iris"},
		PublicKey: f.pub,
		Verifier:  f.verifier,
		Issuer:    f.issuer,
		Clients:   f.clients,
		Limiter:   ratelimit.NewMemory(),
		Logger:    slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Version:   "test",
	}
}

func (f *fixture) start(edit func(*Options)) {
	f.t.Helper()
	f.opts = f.baseOptions()
	if edit != nil {
		edit(&f.opts)
	}
	srv, err := New(f.opts)
	if err != nil {
		f.t.Fatalf("New: %v", err)
	}
	f.srv = srv
	f.ts = httptest.NewServer(srv.Handler())
	f.t.Cleanup(f.ts.Close)
}

// publish publishes an Iris model trained with seed as the next version.
func (f *fixture) publish(seed int64) int {
	f.t.Helper()
	v, err := f.reg.Publish("iris", irisFiles(f.t, seed), f.priv)
	if err != nil {
		f.t.Fatalf("Publish: %v", err)
	}
	return v
}

// versionFile returns the path of file in a published version.
func (f *fixture) versionFile(version int, file string) string {
	return filepath.Join(f.root, "iris", fmt.Sprintf("v%d", version), file)
}

// tamper flips one byte of a published file.
func (f *fixture) tamper(version int, file string) {
	f.t.Helper()
	path := f.versionFile(version, file)
	data, err := os.ReadFile(path)
	if err != nil {
		f.t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(path, data, 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) token(subject string, roles ...string) string {
	f.t.Helper()
	tok, _, err := f.issuer.Issue(subject, roles, time.Minute)
	if err != nil {
		f.t.Fatalf("Issue: %v", err)
	}
	return tok
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) errorBody(t testing.TB) api.ErrorDetail {
	t.Helper()
	var e api.ErrorBody
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("decode error body %q: %v", r.body, err)
	}
	return e.Error
}

// do sends a request; an empty token sends no Authorization header.
func (f *fixture) do(method, path, token, body string) result {
	f.t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return f.send(req)
}

func (f *fixture) send(req *http.Request) result {
	f.t.Helper()
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("read %s %s: %v", req.Method, req.URL.Path, err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: b}
}

func decodeJSON[T any](t testing.TB, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %T from %q: %v", v, b, err)
	}
	return v
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// metricValue reads a counter or gauge. (prometheus/testutil needs a module
// that go.sum does not list.)
func metricValue(t testing.TB, m prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatalf("read metric: %v", err)
	}
	switch {
	case out.Counter != nil:
		return out.Counter.GetValue()
	case out.Gauge != nil:
		return out.Gauge.GetValue()
	}
	t.Fatalf("metric %v is neither counter nor gauge", m.Desc())
	return 0
}
