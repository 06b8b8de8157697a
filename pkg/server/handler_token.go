package server

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/mlops-dev/mlops/pkg/api"
)

// CodeUnsupportedGrantType is the error code for a POST /token whose
// grant_type is not client_credentials.
const CodeUnsupportedGrantType = "unsupported_grant_type"

// handleToken exchanges client credentials for a bearer token carrying the
// client's roles. Credentials come as HTTP Basic auth, a JSON body or a
// form body, as OAuth 2.0 clients send them (RFC 6749 section 2.3.1).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request, st *requestState) error {
	req, err := tokenRequest(r)
	if err != nil {
		return err
	}
	if req.GrantType != "" && req.GrantType != "client_credentials" {
		return badRequest(CodeUnsupportedGrantType, "grant_type: only client_credentials is supported")
	}
	if req.ClientID == "" || req.ClientSecret == "" {
		return badRequest(CodeMissingField, "client_id and client_secret are required")
	}
	st.subject = req.ClientID

	client, err := s.opts.Clients.Authenticate(req.ClientID, req.ClientSecret)
	if err != nil {
		s.metrics.authFailures.WithLabelValues(authReason(err)).Inc()
		return err
	}
	token, claims, err := s.opts.Issuer.Issue(client.ID, client.Roles, s.opts.TokenTTL)
	if err != nil {
		return err
	}
	ttl := int(claims.ExpiresAt.Sub(claims.IssuedAt.Time).Seconds())
	writeJSON(w, http.StatusOK, api.TokenResponse{
		AccessToken: token,
		TokenType:   "Bearer",
		ExpiresIn:   ttl,
		Roles:       client.Roles,
	})
	return nil
}

// tokenRequest reads the credentials from Basic auth or the body.
func tokenRequest(r *http.Request) (api.TokenRequest, error) {
	var req api.TokenRequest
	mt := "application/json"
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, _ = mime.ParseMediaType(ct)
	}
	switch mt {
	case "application/json":
		body, err := readBody(r)
		if err != nil {
			return req, err
		}
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := decodeStrict(body, &req); err != nil {
				return req, err
			}
		}
	case "application/x-www-form-urlencoded":
		if err := readForm(r, &req); err != nil {
			return req, err
		}
	default:
		return req, &Error{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMediaType,
			Message: "Content-Type must be application/json or application/x-www-form-urlencoded"}
	}
	if id, secret, ok := r.BasicAuth(); ok {
		if req.ClientID != "" || req.ClientSecret != "" {
			return req, badRequest(CodeInvalidValue, "send client credentials either in the Authorization header or in the body, not both")
		}
		req.ClientID, req.ClientSecret = id, secret
	}
	return req, nil
}

func readForm(r *http.Request, req *api.TokenRequest) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return badRequest(CodeInvalidValue, "invalid form body: %v", err)
	}
	fields := map[string]*string{
		"grant_type": &req.GrantType, "client_id": &req.ClientID, "client_secret": &req.ClientSecret,
	}
	for key, values := range form {
		dst, ok := fields[key]
		if !ok {
			return badRequest(CodeUnknownField, "unknown field %q", key)
		}
		if len(values) != 1 {
			return badRequest(CodeDuplicateKey, "%s: duplicate key", key)
		}
		*dst = values[0]
	}
	return nil
}
