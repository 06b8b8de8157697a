package auth

import "net/http"

// Error codes returned in Error.Code. They are part of the public API: the
// server sends them to clients, so they never change once released.
const (
	CodeTokenMissing          = "token_missing"
	CodeTokenMalformed        = "token_malformed"
	CodeTokenExpired          = "token_expired"
	CodeTokenNotYetValid      = "token_not_yet_valid"
	CodeTokenInvalidSignature = "token_invalid_signature"
	CodeTokenWrongIssuer      = "token_wrong_issuer"
	CodeTokenWrongAudience    = "token_wrong_audience"
	CodeTokenUnknownKID       = "token_unknown_kid"
	CodeTokenAlgorithm        = "token_algorithm_rejected"
	CodeRoleMissing           = "role_missing"
	CodeInvalidClient         = "invalid_client"
)

// Error is an authentication or authorization failure. Message is safe to
// show to a client: it never contains the token, a key or a secret.
type Error struct {
	Code    string
	Status  int // http.StatusUnauthorized or http.StatusForbidden
	Message string
	cause   error
}

// Error returns the code and the client-safe message.
func (e *Error) Error() string {
	return e.Code + ": " + e.Message
}

// Unwrap returns the underlying library error, if any. Its text comes from
// golang-jwt or bcrypt and does not quote token contents either.
func (e *Error) Unwrap() error {
	return e.cause
}

// Is reports whether target is an *Error with the same Code, so callers can
// write errors.Is(err, auth.ErrTokenExpired).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinel errors for errors.Is, one per code.
var (
	ErrTokenMissing          = &Error{Code: CodeTokenMissing, Status: http.StatusUnauthorized}
	ErrTokenMalformed        = &Error{Code: CodeTokenMalformed, Status: http.StatusUnauthorized}
	ErrTokenExpired          = &Error{Code: CodeTokenExpired, Status: http.StatusUnauthorized}
	ErrTokenNotYetValid      = &Error{Code: CodeTokenNotYetValid, Status: http.StatusUnauthorized}
	ErrTokenInvalidSignature = &Error{Code: CodeTokenInvalidSignature, Status: http.StatusUnauthorized}
	ErrTokenWrongIssuer      = &Error{Code: CodeTokenWrongIssuer, Status: http.StatusUnauthorized}
	ErrTokenWrongAudience    = &Error{Code: CodeTokenWrongAudience, Status: http.StatusUnauthorized}
	ErrTokenUnknownKID       = &Error{Code: CodeTokenUnknownKID, Status: http.StatusUnauthorized}
	ErrTokenAlgorithm        = &Error{Code: CodeTokenAlgorithm, Status: http.StatusUnauthorized}
	ErrRoleMissing           = &Error{Code: CodeRoleMissing, Status: http.StatusForbidden}
	ErrInvalidClient         = &Error{Code: CodeInvalidClient, Status: http.StatusUnauthorized}
)

func unauthorized(code, message string, cause error) *Error {
	return &Error{Code: code, Status: http.StatusUnauthorized, Message: message, cause: cause}
}
