package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mlops-dev/mlops/pkg/certs"
	"github.com/mlops-dev/mlops/pkg/client"
	"github.com/mlops-dev/mlops/pkg/scaffold"
)

// minCertDays is the validity a server certificate must have left.
const minCertDays = 14

// tlsTarget is the HTTPS endpoint the TLS checks inspect.
type tlsTarget struct {
	addr       string // host:port to dial
	serverName string // SNI and the host name to verify
}

// tlsProbe is the result of one handshake that skips verification, so
// that each TLS check can judge the certificate on its own.
type tlsProbe struct {
	target  tlsTarget
	state   tls.ConnectionState
	err     error
	skipped string
}

// target returns the stack's HTTPS entrypoint for api.DOMAIN, or the host
// of an https api.url, or a reason why there is none.
func (e *Env) target() (tlsTarget, string) {
	cfg := e.Config
	if e.Stack {
		return tlsTarget{
			addr:       net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.HTTPSPort)),
			serverName: "api." + cfg.Domain,
		}, ""
	}
	u, err := url.Parse(cfg.API.URL)
	if err != nil || u.Scheme != "https" {
		return tlsTarget{}, "api.url is not https:// and the project has no Docker stack"
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	return tlsTarget{addr: net.JoinHostPort(u.Hostname(), port), serverName: u.Hostname()}, ""
}

func (e *Env) probeTLS(ctx context.Context) *tlsProbe {
	e.tlsOnce.Do(func() {
		t, reason := e.target()
		e.tls.target, e.tls.skipped = t, reason
		if reason != "" {
			return
		}
		conn, err := (&tls.Dialer{Config: &tls.Config{
			ServerName:         t.serverName,
			InsecureSkipVerify: true, // verification happens in the checks, against the project CA
			MinVersion:         tls.VersionTLS12,
		}}).DialContext(ctx, "tcp", t.addr)
		if err != nil {
			e.tls.err = err
			return
		}
		defer conn.Close()
		e.tls.state = conn.(*tls.Conn).ConnectionState()
	})
	return &e.tls
}

// tlsPrecheck returns a Result when the TLS checks cannot judge anything.
func tlsPrecheck(ctx context.Context, env *Env) (*tlsProbe, *Result) {
	p := env.probeTLS(ctx)
	switch {
	case p.skipped != "":
		r := skip("", p.skipped)
		return p, &r
	case p.err != nil:
		r := fail(fmt.Sprintf("TLS handshake with %s (%s) failed: %v", p.target.addr, p.target.serverName, p.err),
			"start the server (`mlops up` or `mlops serve` with serve.tls_cert) or correct api.url and https_port")
		return p, &r
	case len(p.state.PeerCertificates) == 0:
		r := fail("the server sent no certificate", "configure a server certificate")
		return p, &r
	}
	return p, nil
}

// caCert loads the CA the client commands trust, or nil for the system roots.
func caCert(env *Env) (*x509.Certificate, string, error) {
	path, err := client.CAFile(env.Config)
	if err != nil || path == "" {
		return nil, "", err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, path, fmt.Errorf("read CA certificate: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, path, fmt.Errorf("CA certificate %s has no PEM CERTIFICATE block", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, path, fmt.Errorf("parse CA certificate %s: %w", path, err)
	}
	return cert, path, nil
}

// verifyAt returns a time inside the leaf's validity, so that an expired
// certificate is reported by the expiry check alone.
func verifyAt(leaf *x509.Certificate, now time.Time) time.Time {
	if now.After(leaf.NotAfter) || now.Before(leaf.NotBefore) {
		return leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
	}
	return now
}

func checkTLSChain(ctx context.Context, env *Env) Result {
	p, r := tlsPrecheck(ctx, env)
	if r != nil {
		return *r
	}
	leaf := p.state.PeerCertificates[0]
	ca, caPath, err := caCert(env)
	if err != nil {
		return fail(err.Error(), "set api.ca_cert to the project CA, usually certs/ca.crt")
	}
	if ca == nil {
		inter := x509.NewCertPool()
		for _, c := range p.state.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := leaf.Verify(x509.VerifyOptions{Intermediates: inter, CurrentTime: verifyAt(leaf, env.now())})
		if err != nil {
			return fail(fmt.Sprintf("the certificate of %s does not verify against the system roots: %v", p.target.serverName, err),
				"set api.ca_cert to the CA that signed it, usually certs/ca.crt of the project")
		}
		return pass("the certificate of %s verifies against the system roots", p.target.serverName)
	}
	chain := &certs.Chain{CA: ca, Leaf: leaf}
	if err := chain.VerifyHost("", verifyAt(leaf, env.now())); err != nil {
		return fail(fmt.Sprintf("%s presents a certificate (issuer %q) that does not chain to %s: %v",
			p.target.serverName, leaf.Issuer.CommonName, rel(env, caPath), err),
			"re-issue the server certificate with `mlops certs` and restart, or set api.ca_cert to the CA that signed it")
	}
	return pass("the certificate of %s is signed by the project CA %s", p.target.serverName, rel(env, caPath))
}

// configuredHosts returns the host names the certificate must cover: the
// stack's hosts, and the host of api.url.
func configuredHosts(env *Env) []string {
	cfg := env.Config
	var hosts []string
	if env.Stack {
		for _, h := range scaffold.Hosts(cfg.Domain, cfg.HTTPSPort, cfg.Stack.Services) {
			hosts = append(hosts, h.FQDN)
		}
	}
	if u, err := url.Parse(cfg.API.URL); err == nil && u.Scheme == "https" && !slices.Contains(hosts, u.Hostname()) {
		hosts = append(hosts, u.Hostname())
	}
	return hosts
}

func checkTLSHosts(ctx context.Context, env *Env) Result {
	p, r := tlsPrecheck(ctx, env)
	if r != nil {
		return *r
	}
	leaf := p.state.PeerCertificates[0]
	var missing []string
	hosts := configuredHosts(env)
	for _, h := range hosts {
		if leaf.VerifyHostname(h) != nil {
			missing = append(missing, h)
		}
	}
	if len(missing) > 0 {
		listed := "no subject alternative names, only the common name " + strconv.Quote(leaf.Subject.CommonName)
		if names := certs.Names(leaf); len(names) > 0 {
			listed = strings.Join(names, ", ")
		}
		return fail(fmt.Sprintf("the certificate does not cover %s (it lists %s)", strings.Join(missing, ", "), listed),
			"re-issue it with `mlops certs` so every host is a subject alternative name, then restart")
	}
	return pass("the certificate covers %s", strings.Join(hosts, ", "))
}

func checkTLSExpiry(ctx context.Context, env *Env) Result {
	p, r := tlsPrecheck(ctx, env)
	if r != nil {
		return *r
	}
	leaf := p.state.PeerCertificates[0]
	days := certs.DaysLeft(leaf, env.now())
	until := leaf.NotAfter.UTC().Format(time.DateOnly)
	switch {
	case env.now().Before(leaf.NotBefore):
		return fail(fmt.Sprintf("the certificate is not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339)),
			"check this machine's clock, or re-issue the certificate with `mlops certs`")
	case days < 0:
		return fail(fmt.Sprintf("the certificate expired on %s", until), "renew it with `mlops certs` and restart")
	case days <= minCertDays:
		return fail(fmt.Sprintf("the certificate expires in %d days (%s)", days, until), "renew it with `mlops certs` and restart")
	}
	return pass("the certificate is valid for %d more days (until %s)", days, until)
}

func checkTLSVersion(ctx context.Context, env *Env) Result {
	p, r := tlsPrecheck(ctx, env)
	if r != nil {
		return *r
	}
	if p.state.Version != tls.VersionTLS13 {
		return fail(fmt.Sprintf("%s negotiated %s, not TLS 1.3", p.target.serverName, tls.VersionName(p.state.Version)),
			"set the minimum TLS version to 1.3 (Traefik's dynamic tls.options, or use `mlops serve`, which enforces it)")
	}
	conn, err := (&tls.Dialer{Config: &tls.Config{
		ServerName: p.target.serverName, InsecureSkipVerify: true, // only the version matters here
		MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
	}}).DialContext(ctx, "tcp", p.target.addr)
	if err == nil {
		conn.Close()
		return fail(fmt.Sprintf("%s negotiates TLS 1.3 but also accepts TLS 1.2", p.target.serverName),
			"set the minimum TLS version to 1.3 in Traefik's dynamic configuration (tls.options.default.minVersion)")
	}
	return pass("%s negotiates TLS 1.3 and refuses TLS 1.2", p.target.serverName)
}

// redirectPath is the path and query the redirect check requests; both
// must survive the redirect.
const redirectPath = "/doctor/check?x=1"

func checkRedirect(ctx context.Context, env *Env) Result {
	if !env.Stack {
		return skip("", "no Docker stack, so there is no plain HTTP entrypoint to redirect")
	}
	cfg := env.Config
	host := "api." + cfg.Domain
	want := "https://" + host
	if cfg.HTTPSPort != 443 {
		want += ":" + strconv.Itoa(cfg.HTTPSPort)
	}
	want += redirectPath

	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		"http://"+net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.HTTPPort))+redirectPath, nil)
	if err != nil {
		return fail(err.Error(), "check http_port")
	}
	req.Host = net.JoinHostPort(host, strconv.Itoa(cfg.HTTPPort))
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		return fail(fmt.Sprintf("GET %s on port %d: %v", host, cfg.HTTPPort, err),
			"start the stack with `mlops up`, or correct http_port")
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	switch {
	case resp.StatusCode < 300 || resp.StatusCode > 399:
		return fail(fmt.Sprintf("http://%s:%d returned %d, not a redirect", host, cfg.HTTPPort, resp.StatusCode),
			"redirect the HTTP entrypoint to HTTPS in Traefik's static configuration; run `mlops init --force`")
	case loc != want:
		return fail(fmt.Sprintf("http://%s:%d%s redirects to %q, want %q", host, cfg.HTTPPort, redirectPath, loc, want),
			"make the redirect keep path and query and name the published HTTPS port; run `mlops init --force`")
	}
	return pass("plain HTTP on port %d redirects with %d to %s", cfg.HTTPPort, resp.StatusCode, want)
}
