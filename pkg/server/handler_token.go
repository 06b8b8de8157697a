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
	// The id is checked before it reaches the audit log or a limiter key,
	// so neither can be made to carry megabytes or a forged log line.
	if !validClientID(req.ClientID) {
		return badRequest(CodeInvalidValue, "client_id: must be 1 to %d letters, digits, '.', '_' or '-', "+
			"starting with a letter or digit", maxClientIDBytes)
	}
	st.subject = req.ClientID
	if err := s.limit(w, r, "token-client:"+req.ClientID, "token", s.opts.TokenClientRule); err != nil {
		return err
	}

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
	// Neither the parse error nor an unknown key is quoted in full: a
	// JSON body sent with the form content type parses as one key that
	// contains the client secret.
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return badRequest(CodeInvalidValue, "invalid form body: expected URL-encoded key=value pairs joined by '&'")
	}
	fields := map[string]*string{
		"grant_type": &req.GrantType, "client_id": &req.ClientID, "client_secret": &req.ClientSecret,
	}
	for key, values := range form {
		dst, ok := fields[key]
		if !ok {
			return badRequest(CodeUnknownField, "unknown field %q; the form fields are grant_type, client_id "+
				"and client_secret", displayKey(key))
		}
		if len(values) != 1 {
			return badRequest(CodeDuplicateKey, "%s: duplicate key", key)
		}
		*dst = values[0]
	}
	return nil
}

// maxClientIDBytes is the longest client id that auth.ClientStore accepts.
const maxClientIDBytes = 64

// validClientID reports whether id has the form that auth.ClientStore
// requires of every stored client id. An id of another form cannot
// authenticate, so rejecting it early reveals nothing.
func validClientID(id string) bool {
	if len(id) == 0 || len(id) > maxClientIDBytes {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return false
		}
	}
	return true
}
