package auth

import (
	"net/http"
	"strings"
)

// BearerToken extracts the token from the request's "Authorization: Bearer
// TOKEN" header. A missing header or an empty token gives CodeTokenMissing.
// Several Authorization headers, another scheme, extra spaces, or characters
// outside the token68 set of RFC 7235 give CodeTokenMalformed.
func BearerToken(r *http.Request) (string, error) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		return "", unauthorized(CodeTokenMissing, "no Authorization header; send Authorization: Bearer TOKEN", nil)
	}
	if len(values) > 1 {
		return "", unauthorized(CodeTokenMalformed, "more than one Authorization header", nil)
	}

	scheme, token, found := strings.Cut(values[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", unauthorized(CodeTokenMalformed, "Authorization scheme is not Bearer", nil)
	}
	if !found || strings.TrimSpace(token) == "" {
		return "", unauthorized(CodeTokenMissing, "Authorization header has an empty bearer token", nil)
	}
	if len(token) > maxTokenBytes {
		return "", unauthorized(CodeTokenMalformed, "bearer token is too long", nil)
	}
	if !isToken68(token) {
		return "", unauthorized(CodeTokenMalformed, "bearer token contains characters outside base64url and dots", nil)
	}
	return token, nil
}

// isToken68 reports whether s matches RFC 7235 token68:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isToken68(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '.', c == '_', c == '~', c == '+', c == '/':
		default:
			return false
		}
	}
	return true
}
