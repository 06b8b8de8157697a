package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/certs"
)

// Error is a failed API call explained for people: what went wrong and
// the one thing to do about it.
type Error struct {
	// What states the failure, Fix the next step ("" when there is none).
	What, Fix string
	// Status is the HTTP status of the server's response, or 0 without one.
	Status int
	Err    error
}

func (e *Error) Error() string {
	if e.Fix == "" {
		return e.What
	}
	return e.What + "; " + e.Fix
}

// Unwrap returns the underlying error, often an *api.Error.
func (e *Error) Unwrap() error { return e.Err }

// Explain turns an error from an API call into an *Error with a fix. Errors
// that it does not recognise are returned unchanged.
func (c *Conn) Explain(err error) error {
	if err == nil {
		return nil
	}
	var done *Error
	if errors.As(err, &done) {
		return err
	}
	var apiErr *api.Error
	if errors.As(err, &apiErr) {
		return c.explainStatus(apiErr)
	}
	if e := c.explainTLS(err); e != nil {
		return e
	}
	if e := c.explainNetwork(err); e != nil {
		return e
	}
	return err
}

func (c *Conn) explainNetwork(err error) *Error {
	host := c.URL.Host
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return &Error{Err: err, What: fmt.Sprintf("cannot connect to %s: connection refused", c.URL),
			Fix: "is the server up? start it with `mlops serve` (or `mlops up` for the stack), or correct api.url / --url"}
	case errors.As(err, &dnsErr):
		return &Error{Err: err, What: fmt.Sprintf("cannot resolve host %q of %s", c.URL.Hostname(), c.URL),
			Fix: fmt.Sprintf("add \"127.0.0.1 %s\" to /etc/hosts, or correct api.url / --url", c.URL.Hostname())}
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return &Error{Err: err, What: fmt.Sprintf("%s did not respond in time", host),
			Fix: "check that api.url points at the mlops API and that the server is not overloaded"}
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return &Error{Err: err, What: fmt.Sprintf("%s speaks plain HTTP, not HTTPS", host),
			Fix: "use an http:// URL in api.url, or configure serve.tls_cert and serve.tls_key on the server"}
	case strings.Contains(err.Error(), "malformed HTTP response"):
		return &Error{Err: err, What: fmt.Sprintf("%s speaks HTTPS, not plain HTTP", host),
			Fix: "use an https:// URL in api.url"}
	}
	return nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (c *Conn) explainTLS(err error) *Error {
	var verr *tls.CertificateVerificationError
	if !errors.As(err, &verr) {
		return nil
	}
	host := c.URL.Hostname()
	var leaf *x509.Certificate
	if len(verr.UnverifiedCertificates) > 0 {
		leaf = verr.UnverifiedCertificates[0]
	}
	var unknown x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown):
		return &Error{Err: err, What: c.unknownAuthority(leaf), Fix: c.caFix()}
	case errors.As(err, &hostErr) && leaf != nil:
		return &Error{Err: err,
			What: fmt.Sprintf("the certificate of %s does not cover %q (it lists %s)", c.URL.Host, host, strings.Join(certs.Names(leaf), ", ")),
			Fix:  "use one of those names in api.url, or re-issue the certificate with `mlops certs` to add this host"}
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired && leaf != nil:
		return &Error{Err: err,
			What: fmt.Sprintf("the certificate of %s is outside its validity period (%s to %s)", c.URL.Host,
				leaf.NotBefore.UTC().Format(time.DateOnly), leaf.NotAfter.UTC().Format(time.DateOnly)),
			Fix: "renew it with `mlops certs` and restart the server, or check this machine's clock"}
	}
	return &Error{Err: err, What: fmt.Sprintf("the certificate of %s does not verify: %v", c.URL.Host, verr.Err),
		Fix: c.caFix()}
}

func (c *Conn) unknownAuthority(leaf *x509.Certificate) string {
	issuer := "unknown issuer"
	if leaf != nil {
		issuer = fmt.Sprintf("issuer %q", leaf.Issuer.CommonName)
	}
	if c.CAFile != "" {
		return fmt.Sprintf("the certificate of %s (%s) is not signed by the CA in %s", c.URL.Host, issuer, c.CAFile)
	}
	return fmt.Sprintf("the certificate of %s is signed by an unknown authority (%s)", c.URL.Host, issuer)
}

func (c *Conn) caFix() string {
	if c.CAFile != "" {
		return "set api.ca_cert (or --ca-cert) to the CA that signed the server certificate, " +
			"usually certs/ca.crt of the project that runs the server"
	}
	return "pass the project's CA with --ca-cert certs/ca.crt or set api.ca_cert in mlops.yaml"
}

func (c *Conn) explainStatus(e *api.Error) *Error {
	out := &Error{Err: e, Status: e.Status, What: fmt.Sprintf("the API returned %d %s: %s", e.Status, e.Code, e.Message)}
	if fix, ok := feedbackFixes[e.Code]; ok {
		out.Fix = fix
		return out
	}
	switch {
	case e.Code == "" && strings.Contains(e.Message, "HTTP request to an HTTPS server"):
		// Go's TLS server responds to a plain HTTP request with this 400 text.
		out.What = fmt.Sprintf("%s speaks HTTPS, not plain HTTP", c.URL.Host)
		out.Fix = "use an https:// URL in api.url"
	case e.Status == http.StatusUnauthorized:
		out.Fix = c.unauthorizedFix(e.Code)
	case e.Status == http.StatusForbidden:
		out.Fix = fmt.Sprintf("use a token with that role, for example `mlops token --sub NAME --role %s`", missingRole(e.Message))
	case e.Status == http.StatusTooManyRequests:
		out.Fix = c.retryFix()
	case e.Status == http.StatusRequestEntityTooLarge:
		out.Fix = "send fewer rows per request with --batch-size, or raise serve.max_body_bytes on the server"
	case e.Status == http.StatusBadRequest:
		out.What = fmt.Sprintf("the API rejected the input (%s): %s", e.Code, e.Message)
		out.Fix = "correct the input; `mlops models show` lists the features the model expects"
	case e.Status == http.StatusNotFound:
		out.Fix = fmt.Sprintf("check that the API URL (%s) points at the mlops API", c.URL)
	case e.Status == http.StatusServiceUnavailable:
		out.Fix = "the server is starting, stopping or has no rate limiter; retry shortly and check GET /ready and the server log"
	case e.Status >= 500:
		out.Fix = "this is a server fault; look in the server log for the request id"
		if e.RequestID != "" {
			out.Fix = fmt.Sprintf("this is a server fault; look in the server log for request id %s", e.RequestID)
		}
	}
	return out
}

// feedbackFixes are the next steps for the error codes of POST /feedback, whose
// status codes alone (400, 404, 409, 410) would get a misleading generic fix.
var feedbackFixes = map[string]string{
	"unknown_label":      "send one of the model's classes; `mlops models show` lists them",
	"unknown_request_id": "use the request id (and --row, counted from 0) that predict printed for that prediction",
	"prediction_expired": "the prediction is older than the server's monitor.max_age or was evicted; send labels sooner",
	"already_labelled":   "the prediction already has a different label; a label cannot be changed",
}

// unauthorizedFix returns the next step for a 401 with code, or "" for a
// code it does not know. A token minted here failing a
// key or claim check means this project's auth settings differ from the
// server's, so the fix names the setting, not `mlops token`.
func (c *Conn) unauthorizedFix(code string) string {
	minted := c.TokenSource == TokenMinted
	switch code {
	case auth.CodeInvalidClient:
		return "check --client-id and MLOPS_CLIENT_SECRET; on the server, `mlops clients list` shows the client ids, " +
			"and `mlops clients remove ID` then `mlops clients add ID` issues a new secret"
	case auth.CodeTokenMissing:
		return "no token was sent; set MLOPS_API_TOKEN or configure auth.secret so one is minted here"
	case auth.CodeTokenMalformed:
		if minted {
			return "the token minted here is not one the server can parse; check that both run the same mlops version"
		}
		return "check that --token, MLOPS_API_TOKEN or api.token holds the whole token as `mlops token` prints it"
	case auth.CodeTokenExpired:
		if minted {
			return "the token minted here expired on arrival; check that the clocks of this machine and the server agree"
		}
		return "get a new token with `mlops token` and set MLOPS_API_TOKEN"
	case auth.CodeTokenNotYetValid:
		return "check that the clocks of this machine and the server agree"
	case auth.CodeTokenInvalidSignature:
		return mismatchFix(minted, "auth.secret (MLOPS_AUTH_SECRET) or auth.private_key")
	case auth.CodeTokenWrongIssuer:
		return mismatchFix(minted, "auth.issuer")
	case auth.CodeTokenWrongAudience:
		return mismatchFix(minted, "auth.audience")
	case auth.CodeTokenUnknownKID:
		return mismatchFix(minted, "auth.key_id")
	case auth.CodeTokenAlgorithm:
		return mismatchFix(minted, "auth.algorithm")
	}
	return ""
}

// mismatchFix returns the fix for a token that the server rejects because
// setting differs between the server and where the token was signed.
func mismatchFix(minted bool, setting string) string {
	if minted {
		return fmt.Sprintf("the server does not accept tokens signed here; make %s here match the server's", setting)
	}
	return fmt.Sprintf("get a new token with `mlops token` in a project whose %s matches the server's", setting)
}

// missingRole extracts the role from the server's role_missing message
// (`token lacks role "predict"`), or returns "ROLE".
func missingRole(msg string) string {
	_, rest, ok := strings.Cut(msg, `role "`)
	if !ok {
		return "ROLE"
	}
	role, _, ok := strings.Cut(rest, `"`)
	if !ok || role == "" {
		return "ROLE"
	}
	return role
}

func (c *Conn) retryFix() string {
	secs := c.headers.retryAfter.Load()
	if secs < 0 {
		return "retry later; the per-role limits are set in rate_limits of the server's mlops.yaml"
	}
	return fmt.Sprintf("retry after %d s; the per-role limits are set in rate_limits of the server's mlops.yaml", secs)
}
