// Package clienttest starts a real mlops API for tests of the client
// commands: a signed Iris model in a temporary registry, pkg/server's
// handler behind an httptest TLS server whose certificate comes from a test
// CA made with pkg/certs, and a config.Config that points at it.
package clienttest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/certs"
	"github.com/mlops-dev/mlops/pkg/config"
	"github.com/mlops-dev/mlops/pkg/dataset"
	"github.com/mlops-dev/mlops/pkg/forest"
	"github.com/mlops-dev/mlops/pkg/model"
	"github.com/mlops-dev/mlops/pkg/ratelimit"
	"github.com/mlops-dev/mlops/pkg/registry"
	"github.com/mlops-dev/mlops/pkg/server"
)

// API is a running test server and the project folder around it.
type API struct {
	// Config points at the server: api.url, api.ca_cert and the auth
	// settings the server verifies with.
	Config *config.Config
	Server *httptest.Server
	// CA signed the server certificate; its PEM file is Config.API.CACert.
	CA      *certs.Authority
	Clients *auth.ClientStore
	// Registry holds iris:v1, signed with the key pair in Config.Keys.
	Registry *registry.Registry
}

// Options change the test server.
type Options struct {
	// Plain serves HTTP instead of HTTPS.
	Plain bool
	// Rules replaces the rate limits per role.
	Rules map[string]ratelimit.Rule
	// Hosts are the DNS names of the certificate; nil means localhost.
	Hosts []string
	// CertValidity is the leaf lifetime; zero means one year.
	CertValidity time.Duration
	// MaxBatch caps rows per batch request; zero means the server default.
	MaxBatch int
}

// Start starts the API and stops it when the test ends.
func Start(t testing.TB, o Options) *API {
	t.Helper()
	dir := t.TempDir()
	cfg := NewConfig(dir)
	a := &API{Config: cfg, Registry: registry.Open(cfg.Path(cfg.Models.Dir))}

	if err := registry.GenerateKeyPair(cfg.Path(cfg.Keys.Private), cfg.Path(cfg.Keys.Public)); err != nil {
		t.Fatalf("generate signing keys: %v", err)
	}
	priv, err := registry.LoadPrivateKey(cfg.Path(cfg.Keys.Private))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Registry.Publish("iris", IrisFiles(t), priv); err != nil {
		t.Fatalf("publish iris: %v", err)
	}
	srv := a.newServer(t, priv.Public().(ed25519.PublicKey), o)

	a.Server = httptest.NewUnstartedServer(srv.Handler())
	// Handshake failures are what several tests provoke; keep them out of the test log.
	a.Server.Config.ErrorLog = slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)
	if o.Plain {
		a.Server.Start()
	} else {
		a.startTLS(t, o)
	}
	t.Cleanup(a.Server.Close)
	cfg.API.URL = a.Server.URL
	if !o.Plain {
		_, port, _ := net.SplitHostPort(a.Server.Listener.Addr().String())
		cfg.API.URL = "https://localhost:" + port
	}
	return a
}

func (a *API) newServer(t testing.TB, pub ed25519.PublicKey, o Options) *server.Server {
	t.Helper()
	ac, err := auth.ConfigFrom(a.Config.Auth, a.Config.Dir)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := auth.NewVerifier(ac)
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := auth.NewIssuer(ac)
	if err != nil {
		t.Fatal(err)
	}
	if a.Clients, err = auth.OpenClients(filepath.Join(a.Config.Dir, "clients.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := a.Clients.SetCost(4); err != nil { // the bcrypt minimum keeps tests fast
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{
		Registry: a.Registry, Ref: registry.Ref{Name: "iris"}, PublicKey: pub,
		Verifier: verifier, Issuer: issuer, Clients: a.Clients,
		Limiter: ratelimit.NewMemory(), Rules: o.Rules, MaxBatch: o.MaxBatch, Version: "test",
	})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	return srv
}

func (a *API) startTLS(t testing.TB, o Options) {
	t.Helper()
	now := time.Now()
	ca, err := certs.NewAuthority("test", now, 24*time.Hour*365)
	if err != nil {
		t.Fatal(err)
	}
	hosts := o.Hosts
	if hosts == nil {
		hosts = []string{"localhost"}
	}
	validity := o.CertValidity
	if validity == 0 {
		validity = 365 * 24 * time.Hour
	}
	leaf, err := ca.Issue(hosts, certs.DefaultIPs(), now, validity)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	a.CA = ca
	a.Server.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS13}
	a.Server.StartTLS()

	certDir := filepath.Join(a.Config.Dir, "certs")
	if err := os.MkdirAll(certDir, 0o755); err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(certDir, certs.CACertFile)
	if err := os.WriteFile(caFile, ca.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	a.Config.API.CACert = caFile
}

// NewConfig returns the settings of a project in dir with the defaults of
// config.Settings that the client commands read and a random HS256 secret.
func NewConfig(dir string) *config.Config {
	secret := make([]byte, 36)
	_, _ = rand.Read(secret)
	return &config.Config{
		Project: "test", Domain: "localhost", HTTPSPort: 9443, HTTPPort: 9080, Dir: dir,
		Models: config.ModelsConfig{Dir: "models", Name: "iris", Alias: "production"},
		Keys:   config.KeysConfig{Private: "keys/signing.key", Public: "keys/signing.pub"},
		Serve:  config.ServeConfig{Addr: "127.0.0.1:8080", MaxBatch: 1000, MaxBodyBytes: 1 << 20, ClientsFile: "clients.yaml"},
		Auth: config.AuthConfig{
			Algorithm: auth.AlgHS256, Secret: base64.StdEncoding.EncodeToString(secret),
			Issuer: "mlops", Audience: "mlops-api", MaxTTL: 24 * time.Hour, Leeway: 30 * time.Second,
		},
		Redis: config.RedisConfig{Timeout: 50 * time.Millisecond},
		API:   config.APIConfig{URL: "http://127.0.0.1:8080"},
	}
}

var iris struct {
	once  sync.Once
	files map[string][]byte
	err   error
}

// IrisFiles returns the files of a small forest trained on the built-in
// Iris data, trained once per test binary.
func IrisFiles(t testing.TB) map[string][]byte {
	t.Helper()
	iris.once.Do(func() {
		ds := dataset.Iris()
		p := forest.DefaultParams()
		p.Trees, p.Seed = 20, 1
		f, err := forest.Fit(context.Background(), ds.X, ds.Y, len(ds.Classes), p, nil)
		if err != nil {
			iris.err = err
			return
		}
		spec := model.Spec{Algorithm: "random_forest", Features: ds.Features, Label: ds.Label,
			Classes: ds.Classes, Stats: dataset.Stats(ds)}
		meta := model.Metadata{CreatedAt: time.Now().UTC(), Algorithm: "random_forest", Params: p}
		iris.files, iris.err = model.Encode(spec, meta, f)
	})
	if iris.err != nil {
		t.Fatalf("train iris: %v", iris.err)
	}
	return iris.files
}

// Client returns an HTTP client that trusts the test CA.
func (a *API) Client() *http.Client {
	return a.Server.Client()
}
