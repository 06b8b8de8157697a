// Package server serves a verified model over HTTP: the mlops JSON API, the
// Open Inference Protocol (v2) routes, token issuance, Prometheus metrics
// and an OpenAPI description. It owns authentication, rate limiting, input
// validation, hot reload and graceful shutdown of the inference service.
//
// It must not parse flags or configuration files, and it never logs a
// token, secret or request body.
//
// POST /token has two rate limits, both checked before the bcrypt
// comparison. The limit per remote address bounds the CPU one caller can
// spend on guesses over many client ids. The limit per client_id bounds
// the guesses at one client's secret however many addresses send them.
// The trade-offs:
//   - Behind a reverse proxy such as Traefik every caller has the proxy's
//     address, so the per-address limit becomes one shared budget and a
//     single anonymous caller can use it up, delaying every client's token
//     until it refills. The server does not trust X-Forwarded-For, which
//     any client can set, so at such a deployment the per-source limit
//     belongs in the proxy.
//   - Anyone with a client id can use up that client's budget and
//     delay its next token by up to the rule's period. Tokens already
//     issued keep working, and other clients are not affected.
package server

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/monitor"
	"github.com/mlops-dev/mlops/pkg/ratelimit"
	"github.com/mlops-dev/mlops/pkg/registry"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultMaxBatch        = 1000
	DefaultMaxBodyBytes    = 1 << 20
	DefaultTokenTTL        = 15 * time.Minute
	DefaultShutdownTimeout = 10 * time.Second
	DefaultLimiterTimeout  = 250 * time.Millisecond
)

// Limiter decides whether a request may proceed. ratelimit.Fallback,
// ratelimit.Redis and ratelimit.Memory implement it.
type Limiter interface {
	Allow(ctx context.Context, key string, rule ratelimit.Rule) (ratelimit.Decision, error)
}

// backendReporter is implemented by limiters that report which store
// decides right now, like ratelimit.Fallback.
type backendReporter interface {
	Backend() string
}

// DefaultRules are the per-role rate limits used when Options.Rules is nil.
// NOTE: these are starting values, not measured capacity; size them to the
// deployment through the CLI's configuration.
func DefaultRules() map[string]ratelimit.Rule {
	return map[string]ratelimit.Rule{
		auth.RolePredict:  {Limit: 100, Period: time.Second, Burst: 200},
		auth.RoleRead:     {Limit: 10, Period: time.Second, Burst: 20},
		auth.RoleAdmin:    {Limit: 1, Period: time.Second, Burst: 5},
		auth.RoleFeedback: {Limit: 100, Period: time.Second, Burst: 200},
	}
}

// DefaultTokenRule limits POST /token per remote IP address when
// Options.TokenRule is zero. Each attempt costs a bcrypt comparison, so the
// limit also bounds the CPU a guessing client can burn.
var DefaultTokenRule = ratelimit.Rule{Limit: 30, Period: time.Minute, Burst: 10}

// DefaultTokenClientRule limits POST /token per client_id when
// Options.TokenClientRule is zero: 10 guesses a minute at most for one
// client, whatever the number of source addresses.
// NOTE: a starting value like DefaultRules, not derived from a measurement.
var DefaultTokenClientRule = ratelimit.Rule{Limit: 10, Period: time.Minute, Burst: 5}

// Options configure a Server. Registry, PublicKey, Verifier and Limiter
// are required; the rest have defaults.
type Options struct {
	// Addr is the listen address of the API, for example "127.0.0.1:8080".
	Addr string
	// MetricsAddr, when set, serves /metrics on this address only and
	// removes it from Addr.
	MetricsAddr string
	// TLSCert and TLSKey are PEM file paths. With both set the server
	// speaks HTTPS only, TLS 1.3 minimum, on both addresses.
	TLSCert, TLSKey string

	// MaxBatch caps the rows of one batch or v2 infer request.
	MaxBatch int
	// MaxBodyBytes caps request bodies; larger ones get 413.
	MaxBodyBytes int64

	// Registry, Ref and PublicKey select and verify the model to serve.
	Registry  *registry.Registry
	Ref       registry.Ref
	PublicKey ed25519.PublicKey
	// WatchInterval, when positive, polls the registry and reloads when
	// Ref resolves to another version.
	WatchInterval time.Duration

	// Verifier checks bearer tokens on every protected route.
	Verifier *auth.Verifier
	// Issuer and Clients enable POST /token; with either nil the route
	// does not exist.
	Issuer   *auth.Issuer
	Clients  *auth.ClientStore
	TokenTTL time.Duration

	// Limiter applies Rules, keyed by role and token subject. The rule of
	// the role a route requires applies; a role without a rule is not
	// limited. Empty Rules means DefaultRules().
	Limiter Limiter
	Rules   map[string]ratelimit.Rule
	// TokenRule limits POST /token per remote IP address and
	// TokenClientRule per client_id. The package documentation explains
	// why both exist. Zero values mean DefaultTokenRule and
	// DefaultTokenClientRule.
	TokenRule       ratelimit.Rule
	TokenClientRule ratelimit.Rule
	// LimiterTimeout bounds one limiter call.
	LimiterTimeout time.Duration

	// Logger receives the audit line of every request and operational
	// events; nil discards them.
	Logger *slog.Logger
	// Version is the mlops build version reported by GET /v2.
	Version string
	// ServedBy, when set, is sent in the X-Served-By header of every response, so
	// that clients of a replicated service can tell replicas apart.
	ServedBy string
	// TrustedProxies are the addresses whose X-Forwarded-For header names the
	// caller, for the per-address limit of POST /token. Behind a proxy that is not
	// listed, every caller shares the proxy's address and so one budget; the
	// per-client limit still separates callers. Any client can set the header, so
	// it is read only from these addresses.
	TrustedProxies []netip.Prefix
	// DrainDelay is how long the server keeps accepting, with /ready at 503, after
	// the shutdown signal and before it stops listening. Zero stops at once.
	DrainDelay time.Duration
	// ShutdownTimeout bounds how long Run waits for in-flight requests.
	ShutdownTimeout time.Duration

	// Monitor bounds the predictions kept for POST /feedback and sets the
	// rolling accuracy window; Drift sets input drift detection. Zero
	// fields take the defaults of pkg/monitor.
	Monitor monitor.Config
	Drift   monitor.DriftConfig
}

// Server is the inference HTTP server. Create it with New.
type Server struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics
	monitor *modelMonitor
	current atomic.Pointer[loaded]
	tls     *tls.Config
	handler http.Handler
	// metricsHandler serves the metrics listener when MetricsAddr is set.
	metricsHandler http.Handler
	routes         []routeInfo

	reloadMu      sync.Mutex
	failedVersion int // last version the watcher failed to load
	draining      atomic.Bool
}

// New checks opts, loads and verifies the model, and builds the handlers.
// A model that fails verification never serves: New returns the error,
// which names the failing file.
func New(opts Options) (*Server, error) {
	opts, err := withDefaults(opts)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, log: opts.Logger}
	s.metrics = newMetrics(s.limiterBackend)
	s.monitor = newModelMonitor(opts)
	s.metrics.registry.MustRegister(newMonitorCollector(s))

	if opts.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(opts.TLSCert, opts.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("load TLS certificate %q and key %q: %w", opts.TLSCert, opts.TLSKey, err)
		}
		s.tls = &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}}
	}

	l, err := s.load()
	if err != nil {
		return nil, err
	}
	s.current.Store(l)
	s.metrics.setModel(l)
	s.buildHandlers()
	return s, nil
}

func withDefaults(opts Options) (Options, error) {
	switch {
	case opts.Registry == nil:
		return opts, errors.New("server options: no model registry")
	case len(opts.PublicKey) != ed25519.PublicKeySize:
		return opts, errors.New("server options: no valid ed25519 public key to verify the model")
	case opts.Verifier == nil:
		return opts, errors.New("server options: no token verifier; the API never runs without authentication")
	case opts.Limiter == nil:
		return opts, errors.New("server options: no rate limiter")
	case (opts.TLSCert == "") != (opts.TLSKey == ""):
		return opts, errors.New("server options: TLS needs both a certificate and a key file")
	case opts.MaxBatch < 0, opts.MaxBodyBytes < 0:
		return opts, errors.New("server options: negative batch or body limit")
	}
	if opts.MaxBatch == 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.TokenTTL == 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	if len(opts.Rules) == 0 {
		opts.Rules = DefaultRules()
	}
	if opts.TokenRule == (ratelimit.Rule{}) {
		opts.TokenRule = DefaultTokenRule
	}
	if opts.TokenClientRule == (ratelimit.Rule{}) {
		opts.TokenClientRule = DefaultTokenClientRule
	}
	if err := checkRules(opts.Rules, opts.TokenRule, opts.TokenClientRule); err != nil {
		return opts, err
	}
	if opts.LimiterTimeout == 0 {
		opts.LimiterTimeout = DefaultLimiterTimeout
	}
	if opts.ShutdownTimeout == 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return opts, nil
}

// checkRules rejects rules the limiter would refuse on every request.
func checkRules(rules map[string]ratelimit.Rule, tokenRule, tokenClientRule ratelimit.Rule) error {
	check := func(name string, r ratelimit.Rule) error {
		if r.Limit <= 0 || r.Period <= 0 || r.Burst < 0 || r.Period/time.Duration(r.Limit) < time.Microsecond {
			return fmt.Errorf("server options: rate limit rule for %s (%d per %s, burst %d) needs a positive limit "+
				"and period, at most one request per microsecond, and a burst of 0 or more", name, r.Limit, r.Period, r.Burst)
		}
		return nil
	}
	for role, r := range rules {
		if err := check("role "+role, r); err != nil {
			return err
		}
	}
	if err := check("POST /token per address", tokenRule); err != nil {
		return err
	}
	return check("POST /token per client", tokenClientRule)
}

func (s *Server) limiterBackend() string {
	if b, ok := s.opts.Limiter.(backendReporter); ok {
		return b.Backend()
	}
	if _, ok := s.opts.Limiter.(*ratelimit.Redis); ok {
		return ratelimit.BackendRedis
	}
	return ratelimit.BackendMemory
}

// Handler returns the API handler with all middleware, as served on Addr.
func (s *Server) Handler() http.Handler { return s.handler }

// MetricsHandler returns the handler served on MetricsAddr.
func (s *Server) MetricsHandler() http.Handler { return s.metricsHandler }

// Run listens on Addr (and MetricsAddr when set) and serves until ctx is
// cancelled, then shuts down gracefully and returns nil.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.opts.Addr, err)
	}
	var mln net.Listener
	if s.opts.MetricsAddr != "" {
		mln, err = net.Listen("tcp", s.opts.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen on metrics address %s: %w", s.opts.MetricsAddr, err)
		}
	}
	return s.Serve(ctx, ln, mln)
}

// Serve serves the API on ln and the metrics on metricsLn (nil when
// MetricsAddr is empty) until ctx is cancelled. It then stops accepting
// connections, lets in-flight requests finish within ShutdownTimeout, and
// returns nil. It closes both listeners.
func (s *Server) Serve(ctx context.Context, ln, metricsLn net.Listener) error {
	servers := []*http.Server{s.httpServer(s.handler)}
	listeners := []net.Listener{ln}
	if metricsLn != nil {
		servers = append(servers, s.httpServer(s.metricsHandler))
		listeners = append(listeners, metricsLn)
	}

	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() { errc <- s.serveOne(srv, listeners[i]) }()
	}
	current := s.current.Load()
	attrs := []any{"addr", ln.Addr().String(), "tls", s.tls != nil,
		keyModel, current.ref.Name, keyModelVersion, current.ref.Version}
	if metricsLn != nil {
		attrs = append(attrs, "metrics_addr", metricsLn.Addr().String())
	}
	s.log.Info("serving", attrs...)

	watchDone := make(chan struct{})
	watchCtx, stopWatch := context.WithCancel(ctx)
	go func() {
		defer close(watchDone)
		s.watch(watchCtx)
	}()
	defer func() { stopWatch(); <-watchDone }()

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	return errors.Join(serveErr, s.shutdown(servers))
}

func (s *Server) serveOne(srv *http.Server, ln net.Listener) error {
	var err error
	if s.tls != nil {
		err = srv.ServeTLS(ln, "", "")
	} else {
		err = srv.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
}

func (s *Server) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:   h,
		TLSConfig: s.tls,
		// Without this, net/http responds to "OPTIONS *" itself with a bare
		// 200, bypassing the middleware and its security headers.
		DisableGeneralOptionsHandler: true,
		ReadHeaderTimeout:            5 * time.Second,
		ReadTimeout:                  30 * time.Second,
		WriteTimeout:                 30 * time.Second,
		IdleTimeout:                  2 * time.Minute,
		MaxHeaderBytes:               32 << 10,
		ErrorLog:                     slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// shutdown marks the server as draining, so /ready returns 503, and shuts
// every http.Server down within ShutdownTimeout. The caller's context is
// already cancelled here, hence the fresh one.
func (s *Server) shutdown(servers []*http.Server) error {
	if s.opts.DrainDelay > 0 {
		for _, srv := range servers {
			srv.SetKeepAlivesEnabled(false)
		}
	}
	s.draining.Store(true)
	if s.opts.DrainDelay > 0 {
		// Keep accepting while /ready returns 503, so that a load balancer or swarm's
		// DNS stops sending new connections before the listener closes. Closing at
		// once resets connections still waiting in the accept queue. Keep-alives end
		// too, so no client is left sending on an idle connection that Shutdown is
		// about to close.
		s.log.Info("draining", "delay", s.opts.DrainDelay.String())
		time.Sleep(s.opts.DrainDelay)
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()

	var errs []error
	for _, srv := range servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down: %w", err))
			srv.Close()
		}
	}
	s.log.Info("stopped")
	return errors.Join(errs...)
}
