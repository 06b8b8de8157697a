package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/auth"
)

// Error codes sent in the "code" field of error responses. They are part of
// the public API and do not change once released. Authentication failures
// use the codes of pkg/auth (token_expired, role_missing, ...).
const (
	CodeInvalidJSON          = "invalid_json"
	CodeDuplicateKey         = "duplicate_key"
	CodeUnknownField         = "unknown_field"
	CodeTrailingData         = "trailing_data"
	CodeMissingField         = "missing_field"
	CodeInvalidValue         = "invalid_value"
	CodeFeatureCount         = "wrong_feature_count"
	CodeUnknownFeature       = "unknown_feature"
	CodeMissingFeature       = "missing_feature"
	CodeBatchTooLarge        = "batch_too_large"
	CodeBodyTooLarge         = "body_too_large"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeNotFound             = "not_found"
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeModelNotFound        = "model_not_found"
	CodeRateLimited          = "rate_limited"
	CodeLimiterUnavailable   = "rate_limiter_unavailable"
	CodeNotReady             = "not_ready"
	CodeReloadFailed         = "reload_failed"
	CodeInternal             = "internal_error"
)

// Error is the one error value that handlers and middleware return. Status
// and Code go to the client with Message, which must be safe to show; Cause
// is logged in the audit line and never sent.
type Error struct {
	Status  int
	Code    string
	Message string
	Cause   error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Cause)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

func badRequest(code, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

// asError turns any error into an *Error. Unknown errors become a 500 whose
// message reveals nothing of the cause.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var ae *auth.Error
	if errors.As(err, &ae) {
		return &Error{Status: ae.Status, Code: ae.Code, Message: ae.Message, Cause: err}
	}
	var me *http.MaxBytesError
	if errors.As(err, &me) {
		return &Error{
			Status:  http.StatusRequestEntityTooLarge,
			Code:    CodeBodyTooLarge,
			Message: fmt.Sprintf("request body exceeds %d bytes", me.Limit),
			Cause:   err,
		}
	}
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error", Cause: err}
}

// writeError is the only place that writes an error response. The /v2 routes
// get the protocol's {"error": "..."} body, every other route the
// {"error": {"code", "message", "request_id"}} envelope.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := asError(err)
	st := stateFrom(r.Context())
	id := ""
	if st != nil {
		st.err = e
		id = st.id
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mlops"`)
	}
	if st != nil && st.v2 {
		writeJSON(w, e.Status, api.V2Error{Error: e.Code + ": " + e.Message})
		return
	}
	writeJSON(w, e.Status, api.ErrorBody{Error: api.ErrorDetail{Code: e.Code, Message: e.Message, RequestID: id}})
}

// writeJSON writes v as the JSON body with status. Encoding errors cannot be
// reported to the client once the header is out, and the types written
// here always encode, so the error is dropped.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"code":"internal_error","message":"internal error"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
