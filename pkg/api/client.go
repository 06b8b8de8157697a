package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxResponseBytes bounds how much of a response the client reads, so a
// misbehaving server cannot exhaust the caller's memory.
const maxResponseBytes = 32 << 20

// Client calls an mlops inference server. Its zero value is not usable:
// create it with NewClient.
type Client struct {
	base *url.URL
	http *http.Client
	// Token is sent as a bearer token when it is not empty.
	Token string
}

// NewClient returns a client for the server at baseURL, for example
// "https://127.0.0.1:8443". A nil httpClient means http.DefaultClient; pass
// one with a TLS config whose RootCAs trust the server's CA for HTTPS.
func NewClient(baseURL string, httpClient *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("parse server URL %q: %w", baseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("server URL %q: scheme must be http or https", baseURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("server URL %q: missing host", baseURL)
	}
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	return &Client{base: u, http: httpClient}, nil
}

// Health calls GET /health.
func (c *Client) Health(ctx context.Context) (*HealthResponse, error) {
	var out HealthResponse
	return &out, c.do(ctx, http.MethodGet, "/health", nil, &out)
}

// Ready calls GET /ready. A server that is up but not ready responds 503
// with a body, and Ready returns that body with Ready false and a nil error.
func (c *Client) Ready(ctx context.Context) (*ReadyResponse, error) {
	var out ReadyResponse
	err := c.do(ctx, http.MethodGet, "/ready", nil, &out)
	if e, ok := err.(*Error); ok && e.Status == http.StatusServiceUnavailable && e.Code == "" {
		return &out, nil
	}
	return &out, err
}

// RequestToken exchanges client credentials for a token at POST /token. It
// does not set c.Token.
func (c *Client) RequestToken(ctx context.Context, clientID, clientSecret string) (*TokenResponse, error) {
	req := TokenRequest{GrantType: "client_credentials", ClientID: clientID, ClientSecret: clientSecret}
	var out TokenResponse
	return &out, c.do(ctx, http.MethodPost, "/token", req, &out)
}

// Predict calls POST /predict for one row.
func (c *Client) Predict(ctx context.Context, features Features) (*PredictResponse, error) {
	var out PredictResponse
	return &out, c.do(ctx, http.MethodPost, "/predict", PredictRequest{Features: features}, &out)
}

// PredictBatch calls POST /predict/batch.
func (c *Client) PredictBatch(ctx context.Context, rows []Features) (*BatchResponse, error) {
	var out BatchResponse
	return &out, c.do(ctx, http.MethodPost, "/predict/batch", BatchRequest{Instances: rows}, &out)
}

// ModelInfo calls GET /model/info.
func (c *Client) ModelInfo(ctx context.Context) (*ModelInfo, error) {
	var out ModelInfo
	return &out, c.do(ctx, http.MethodGet, "/model/info", nil, &out)
}

// Reload calls POST /admin/reload.
func (c *Client) Reload(ctx context.Context) (*ReloadResponse, error) {
	var out ReloadResponse
	return &out, c.do(ctx, http.MethodPost, "/admin/reload", nil, &out)
}

// do sends one request and decodes a 2xx response into out. Other
// responses become *Error. When the error body is not the error envelope,
// out is still filled, which lets Ready return the 503 body.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	req, err := c.newRequest(ctx, method, path, in)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("%s %s: read response: %w", method, path, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("%s %s: decode response: %w", method, path, err)
		}
		return nil
	}
	return decodeError(resp, body, out)
}

func (c *Client) newRequest(ctx context.Context, method, path string, in any) (*http.Request, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode %s %s body: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	u := c.base.JoinPath(path)
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("build %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	return req, nil
}

func decodeError(resp *http.Response, body []byte, out any) error {
	e := &Error{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-ID")}
	var env ErrorBody
	if json.Unmarshal(body, &env) == nil && env.Error.Code != "" {
		e.Code = env.Error.Code
		e.Message = env.Error.Message
		if env.Error.RequestID != "" {
			e.RequestID = env.Error.RequestID
		}
		return e
	}
	_ = json.Unmarshal(body, out)
	e.Message = strings.TrimSpace(string(body))
	if len(e.Message) > 200 {
		e.Message = e.Message[:200] + "..."
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}
