package client

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/certs"
	"github.com/mlops-dev/mlops/pkg/client/clienttest"
	"github.com/mlops-dev/mlops/pkg/config"
	"github.com/mlops-dev/mlops/pkg/ratelimit"
	"github.com/mlops-dev/mlops/pkg/ui"
)

// predictError runs one prediction and returns its error as *Error.
func predictError(t *testing.T, c *Conn) *Error {
	t.Helper()
	s, _, _ := ui.Test()
	err := Predict(context.Background(), c, s, Request{Values: []string{"5.1", "3.5", "1.4", "0.2"}, BatchSize: 1})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Predict error = %v (%T), want *client.Error", err, err)
	}
	return e
}

func wantHint(t *testing.T, e *Error, what, fix string) {
	t.Helper()
	if !strings.Contains(e.What, what) {
		t.Errorf("What = %q, want it to contain %q", e.What, what)
	}
	if !strings.Contains(e.Fix, fix) {
		t.Errorf("Fix = %q, want it to contain %q", e.Fix, fix)
	}
}

func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestExplain_ConnectionRefused(t *testing.T) {
	a := clienttest.Start(t, clienttest.Options{Plain: true})
	a.Config.API.URL = "http://" + closedPort(t)
	e := predictError(t, connect(t, a, Options{}))
	wantHint(t, e, "connection refused", "is the server up? start it with `mlops serve`")
}

func TestExplain_CertificateFromOtherCA(t *testing.T) {
	a := clienttest.Start(t, clienttest.Options{})
	other, err := certs.NewAuthority("other", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	a.Config.API.CACert = filepath.Join(t.TempDir(), "other-ca.crt")
	os.WriteFile(a.Config.API.CACert, other.CertPEM, 0o644)
	e := predictError(t, connect(t, a, Options{}))
	wantHint(t, e, `(issuer "mlops local CA test") is not signed by the CA in `+a.Config.API.CACert,
		"set api.ca_cert (or --ca-cert) to the CA that signed the server certificate")
}

func TestExplain_CertificateWithoutCA(t *testing.T) {
	a := clienttest.Start(t, clienttest.Options{})
	a.Config.API.CACert = ""
	a.Config.Dir = t.TempDir() // no certs/ca.crt: the system roots apply
	e := predictError(t, connect(t, a, Options{}))
	wantHint(t, e, "signed by an unknown authority", "pass the project's CA with --ca-cert certs/ca.crt")
}

func TestExplain_ProjectCAFoundByDefault(t *testing.T) {
	a := clienttest.Start(t, clienttest.Options{})
	a.Config.API.CACert = "" // certs/ca.crt of the project folder is used
	c := connect(t, a, Options{})
	if want := filepath.Join(a.Config.Dir, "certs", certs.CACertFile); c.CAFile != want {
		t.Errorf("CAFile = %q, want %q", c.CAFile, want)
	}
	if _, err := c.API.Health(context.Background()); err != nil {
		t.Errorf("Health over TLS with the project CA: %v", err)
	}
}

func TestExplain_HostNotCovered(t *testing.T) {
	a := clienttest.Start(t, clienttest.Options{Hosts: []string{"api.localhost"}})
	e := predictError(t, connect(t, a, Options{}))
	wantHint(t, e, `does not cover "localhost" (it lists api.localhost, 127.0.0.1, ::1)`, "use one of those names in api.url")
}

func TestExplain_Status(t *testing.T) {
	a := clienttest.Start(t, clienttest.Options{
		Rules: map[string]ratelimit.Rule{auth.RolePredict: {Limit: 1, Period: time.Minute, Burst: 1}},
	})
	readOnly, err := IssueToken(a.Config, "reader", []string{auth.RoleRead}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("403 names the role", func(t *testing.T) {
		a.Config.API.Token = readOnly.Token
		defer func() { a.Config.API.Token = "" }()
		e := predictError(t, connect(t, a, Options{}))
		wantHint(t, e, "403 role_missing", "mlops token --sub NAME --role predict")
	})
	t.Run("401 for a token from another key", func(t *testing.T) {
		a.Config.API.Token = readOnly.Token[:len(readOnly.Token)-4] + "AAAA"
		defer func() { a.Config.API.Token = "" }()
		e := predictError(t, connect(t, a, Options{}))
		wantHint(t, e, "401 token_invalid_signature", "get a new token with `mlops token` in a project whose auth.secret")
	})
	t.Run("401 for a minted token with a wrong secret", func(t *testing.T) {
		good := a.Config.Auth.Secret
		a.Config.Auth.Secret = "Zk3v9QmX2pL7wR4tY8uB1nC6dF0gH5jS"
		defer func() { a.Config.Auth.Secret = good }()
		e := predictError(t, connect(t, a, Options{}))
		wantHint(t, e, "401", "the server does not accept tokens signed here")
	})
	t.Run("429 says when to retry", func(t *testing.T) {
		c := connect(t, a, Options{})
		s, _, _ := ui.Test()
		_ = Predict(context.Background(), c, s, Request{Values: []string{"1", "2", "3", "4"}, BatchSize: 1})
		e := predictError(t, c)
		wantHint(t, e, "429 rate_limited", "retry after ")
		if strings.Contains(e.Fix, "retry after 0 s") || strings.Contains(e.Fix, "retry later") {
			t.Errorf("Fix = %q, want the Retry-After seconds", e.Fix)
		}
	})
}

func TestExplain_ServerError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"error":{"code":"internal_error","message":"internal error","request_id":"r-42"}}`))
	}))
	defer srv.Close()
	a := clienttest.Start(t, clienttest.Options{Plain: true})
	a.Config.API.URL = srv.URL
	e := predictError(t, connect(t, a, Options{}))
	wantHint(t, e, "500 internal_error", "look in the server log for request id r-42")
}

func TestExplain_NoToken(t *testing.T) {
	a := clienttest.Start(t, clienttest.Options{})
	a.Config.Auth.Secret = ""
	c := connect(t, a, Options{})
	s, _, _ := ui.Test()
	err := Predict(context.Background(), c, s, Request{Values: []string{"1"}, BatchSize: 1})
	if want := "no API token: set MLOPS_API_TOKEN"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v, want %q", err, want)
	}
}

func TestExplain_PlainHTTPToTLSServer(t *testing.T) {
	a := clienttest.Start(t, clienttest.Options{})
	a.Config.API.URL = strings.Replace(a.Config.API.URL, "https://", "http://", 1)
	e := predictError(t, connect(t, a, Options{}))
	wantHint(t, e, "speaks HTTPS, not plain HTTP", "use an https:// URL")
}

func TestExplain_Unauthorized(t *testing.T) {
	a := clienttest.Start(t, clienttest.Options{})
	// signed returns a predict token signed with the server's secret but
	// with one auth setting changed.
	signed := func(t *testing.T, change func(*config.AuthConfig)) string {
		t.Helper()
		cfg := *a.Config
		change(&cfg.Auth)
		tok, err := IssueToken(&cfg, "alice", []string{auth.RolePredict}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return tok.Token
	}
	tests := []struct {
		name  string
		token string                   // configured token; "" mints one with mint
		mint  func(*config.AuthConfig) // changes the auth settings used to mint
		what  string
		fix   string
	}{
		{"malformed token", "bad", nil, "401 token_malformed: token is not a well-formed JWT",
			"check that --token, MLOPS_API_TOKEN or api.token holds the whole token"},
		{"configured token with another issuer", signed(t, func(c *config.AuthConfig) { c.Issuer = "other" }), nil,
			"401 token_wrong_issuer", "get a new token with `mlops token` in a project whose auth.issuer matches the server's"},
		{"configured token with another audience", signed(t, func(c *config.AuthConfig) { c.Audience = "other" }), nil,
			"401 token_wrong_audience", "whose auth.audience matches the server's"},
		{"minted token with another issuer", "", func(c *config.AuthConfig) { c.Issuer = "other" },
			"401 token_wrong_issuer", "the server does not accept tokens signed here; make auth.issuer here match the server's"},
		{"minted token with another key id", "", func(c *config.AuthConfig) { c.KeyID = "other" },
			"401 token_unknown_kid", "make auth.key_id here match the server's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := *a.Config
			cfg.API.Token = tt.token
			if tt.mint != nil {
				tt.mint(&cfg.Auth)
			}
			c, err := Connect(&cfg, Options{MintRoles: []string{auth.RolePredict}})
			if err != nil {
				t.Fatalf("Connect: %v", err)
			}
			defer c.Close()
			e := predictError(t, c)
			wantHint(t, e, tt.what, tt.fix)
			if strings.Contains(e.Error(), "expired") {
				t.Errorf("Error() = %q, want no mention of expiry", e.Error())
			}
		})
	}
}

func TestExplain_InvalidClient(t *testing.T) {
	a := clienttest.Start(t, clienttest.Options{})
	if _, err := a.Clients.Add("ci", []string{auth.RolePredict}); err != nil {
		t.Fatal(err)
	}
	_, err := FetchToken(context.Background(), connect(t, a, Options{}), "ci", "wrong-secret")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("FetchToken error = %v (%T), want *client.Error", err, err)
	}
	wantHint(t, e, "401 invalid_client: client id or secret is wrong", "check --client-id and MLOPS_CLIENT_SECRET")
	if strings.Contains(e.Error(), "token") && strings.Contains(e.Error(), "expired") {
		t.Errorf("Error() = %q, want no hint about token expiry", e.Error())
	}
}

func TestUnauthorizedFix_EveryCode(t *testing.T) {
	tests := []struct {
		code   string
		minted bool
		want   string // "" means no fix
	}{
		{auth.CodeInvalidClient, false, "check --client-id and MLOPS_CLIENT_SECRET"},
		{auth.CodeTokenMissing, false, "no token was sent; set MLOPS_API_TOKEN"},
		{auth.CodeTokenMalformed, false, "holds the whole token as `mlops token` prints it"},
		{auth.CodeTokenMalformed, true, "check that both run the same mlops version"},
		{auth.CodeTokenExpired, false, "get a new token with `mlops token` and set MLOPS_API_TOKEN"},
		{auth.CodeTokenExpired, true, "clocks of this machine and the server agree"},
		{auth.CodeTokenNotYetValid, false, "clocks of this machine and the server agree"},
		{auth.CodeTokenInvalidSignature, false, "in a project whose auth.secret (MLOPS_AUTH_SECRET) or auth.private_key matches"},
		{auth.CodeTokenInvalidSignature, true, "make auth.secret (MLOPS_AUTH_SECRET) or auth.private_key here match"},
		{auth.CodeTokenWrongIssuer, false, "whose auth.issuer matches the server's"},
		{auth.CodeTokenWrongAudience, true, "make auth.audience here match the server's"},
		{auth.CodeTokenUnknownKID, false, "whose auth.key_id matches the server's"},
		{auth.CodeTokenAlgorithm, false, "whose auth.algorithm matches the server's"},
		{auth.CodeTokenAlgorithm, true, "make auth.algorithm here match the server's"},
		{"some_future_code", false, ""},
	}
	for _, tt := range tests {
		c := &Conn{TokenSource: TokenConfigured}
		if tt.minted {
			c.TokenSource = TokenMinted
		}
		got := c.unauthorizedFix(tt.code)
		if tt.want == "" && got != "" {
			t.Errorf("unauthorizedFix(%s, minted %t) = %q, want no fix", tt.code, tt.minted, got)
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("unauthorizedFix(%s, minted %t) = %q, want it to contain %q", tt.code, tt.minted, got, tt.want)
		}
	}
}

func TestError_WithoutFix(t *testing.T) {
	e := &Error{What: "the API returned 401 some_future_code: no"}
	if got, want := e.Error(), "the API returned 401 some_future_code: no"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestExplain_FeedbackCodes(t *testing.T) {
	a := clienttest.Start(t, clienttest.Options{})
	c := connect(t, a, Options{MintRoles: []string{auth.RoleFeedback, auth.RolePredict}})
	pred, err := c.API.Predict(context.Background(), api.Features{Values: []float64{5.1, 3.5, 1.4, 0.2}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.API.Feedback(context.Background(), api.FeedbackRequest{RequestID: pred.RequestID, Label: "setosa"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		req  api.FeedbackRequest
		what string
		fix  string
	}{
		{"unknown request id", api.FeedbackRequest{RequestID: "nope", Label: "setosa"}, "404 unknown_request_id", "use the request id"},
		{"unknown label", api.FeedbackRequest{RequestID: pred.RequestID, Label: "dog"}, "400 unknown_label", "one of the model's classes"},
		{"second label", api.FeedbackRequest{RequestID: pred.RequestID, Label: "virginica"}, "409 already_labelled", "cannot be changed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.API.Feedback(context.Background(), tt.req)
			var e *Error
			if !errors.As(c.Explain(err), &e) {
				t.Fatalf("Explain(%v) is not a *client.Error", err)
			}
			wantHint(t, e, tt.what, tt.fix)
		})
	}
}
