// Package client is the client side of the mlops API for the predict, token
// and doctor commands. It finds the API URL, trusts the project's own CA,
// finds or mints a bearer token and sends predictions in batches. It turns
// failures into one-line errors with a fix.
//
// It builds on the request types and client of pkg/api and never parses
// flags or reads the environment: the cmd package passes a config.Config.
package client

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/certs"
	"github.com/mlops-dev/mlops/pkg/config"
)

// DefaultTimeout bounds one HTTP request when Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// MintTTL is the lifetime of a token that Connect mints for one command run.
const MintTTL = 5 * time.Minute

// MintSubject is the subject of tokens that Connect mints.
const MintSubject = "mlops-cli"

// Token sources reported in Conn.TokenSource.
const (
	TokenConfigured = "configured" // api.token, MLOPS_API_TOKEN or --token
	TokenMinted     = "minted"     // signed here with the auth key or secret
	TokenNone       = ""
)

// Options adjust how Connect reaches the API.
type Options struct {
	// Insecure skips verification of the server's TLS certificate.
	Insecure bool
	// Timeout bounds each HTTP request; zero means DefaultTimeout.
	Timeout time.Duration
	// MintRoles are the roles of a token minted when none is configured;
	// empty means send no token unless one is configured.
	MintRoles []string
	// Warn receives warnings such as the one for Insecure; nil discards them.
	Warn io.Writer
}

// Conn is a configured connection to the API.
type Conn struct {
	API *api.Client
	// URL is the API base URL.
	URL *url.URL
	// CAFile is the CA certificate trusted for HTTPS, empty when the
	// system roots are used.
	CAFile   string
	Insecure bool
	// Token is the bearer token sent, and TokenSource where it came from.
	Token       string
	TokenSource string
	// MintErr explains why no token could be minted, when none was.
	MintErr error
	// HTTP is the underlying client, for requests outside pkg/api.
	HTTP *http.Client

	headers *headerRecorder
}

// Connect builds a Conn from the api.* and auth.* settings. It does not
// contact the server.
func Connect(cfg *config.Config, o Options) (*Conn, error) {
	u, err := parseURL(cfg.API.URL)
	if err != nil {
		return nil, err
	}
	tlsCfg, caFile, err := TLSConfig(cfg, o.Insecure)
	if err != nil {
		return nil, err
	}
	warnTransport(o, u)

	rec := &headerRecorder{base: &http.Transport{
		Proxy:               nil, // the API is local; never send its token through a proxy
		TLSClientConfig:     tlsCfg,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: 4,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	hc := &http.Client{Transport: rec, Timeout: timeout, CheckRedirect: noRedirect}
	apiClient, err := api.NewClient(u.String(), hc)
	if err != nil {
		return nil, err
	}

	c := &Conn{API: apiClient, URL: u, CAFile: caFile, Insecure: o.Insecure, HTTP: hc, headers: rec}
	c.setToken(cfg, o.MintRoles)
	return c, nil
}

func (c *Conn) setToken(cfg *config.Config, roles []string) {
	switch {
	case cfg.API.Token != "":
		c.Token, c.TokenSource = cfg.API.Token, TokenConfigured
	case len(roles) > 0:
		res, err := IssueToken(cfg, MintSubject, roles, MintTTL)
		if err != nil {
			c.MintErr = err
			return
		}
		c.Token, c.TokenSource = res.Token, TokenMinted
	}
	c.API.Token = c.Token
}

// RequireToken returns an error naming every way to supply a token when
// the connection has none.
func (c *Conn) RequireToken() error {
	if c.Token != "" {
		return nil
	}
	reason := "no signing key or secret here"
	if c.MintErr != nil {
		reason = c.MintErr.Error()
	}
	return fmt.Errorf("no API token: set MLOPS_API_TOKEN or api.token (get one with `mlops token`), "+
		"or configure the auth key so one can be minted here (%s)", reason)
}

func parseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("api.url is empty; set it in mlops.yaml, MLOPS_API_URL or --url")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("api.url %q is not an http:// or https:// URL with a host", raw)
	}
	return u, nil
}

// noRedirect stops at the first redirect: a redirect would resend the
// bearer token to wherever the server points.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func warnTransport(o Options, u *url.URL) {
	if o.Warn == nil {
		return
	}
	if o.Insecure && u.Scheme == "https" {
		fmt.Fprintln(o.Warn, "warning: --insecure: the server's TLS certificate is not verified, so the token can be "+
			"read by anyone between here and the server; pass the project CA with --ca-cert instead")
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		fmt.Fprintf(o.Warn, "warning: %s is plain HTTP to another machine; the token travels unencrypted, use https://\n", u.Host)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// TLSConfig returns the client TLS settings for cfg and the CA file it
// trusts: api.ca_cert when set, else certs/ca.crt of the project when that
// file exists, else the system roots (CA file "").
func TLSConfig(cfg *config.Config, insecure bool) (*tls.Config, string, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if insecure {
		tc.InsecureSkipVerify = true
		return tc, "", nil
	}
	caFile, err := CAFile(cfg)
	if err != nil || caFile == "" {
		return tc, "", err
	}
	pool, err := LoadCAPool(caFile)
	if err != nil {
		return nil, "", err
	}
	tc.RootCAs = pool
	return tc, caFile, nil
}

// CAFile returns the CA certificate path that TLSConfig trusts, or "" for
// the system roots. A configured api.ca_cert that does not exist is an error.
func CAFile(cfg *config.Config) (string, error) {
	if cfg.API.CACert != "" {
		path := cfg.Path(cfg.API.CACert)
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("api.ca_cert %s: %w", path, err)
		}
		return path, nil
	}
	path := filepath.Join(cfg.Dir, "certs", certs.CACertFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return path, nil
}

// LoadCAPool reads PEM certificates from path into a new pool.
func LoadCAPool(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read CA certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("CA certificate %s contains no PEM certificate", path)
	}
	return pool, nil
}

// headerRecorder records the Retry-After header of the last 429 response,
// because api.Error does not carry headers.
type headerRecorder struct {
	base       http.RoundTripper
	retryAfter atomic.Int64 // seconds; -1 when the header was absent
}

func (h *headerRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := h.base.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		secs, convErr := strconv.Atoi(resp.Header.Get("Retry-After"))
		if convErr != nil {
			secs = -1
		}
		h.retryAfter.Store(int64(secs))
	}
	return resp, err
}

// Close releases idle connections.
func (c *Conn) Close() {
	c.HTTP.CloseIdleConnections()
}
