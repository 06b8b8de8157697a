package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// Attribute keys of the audit and error log lines.
const (
	keyRequestID    = "request_id"
	keySubject      = "subject"
	keyRoute        = "route"
	keyMethod       = "method"
	keyStatus       = "status"
	keyDurationMS   = "duration_ms"
	keyModel        = "model"
	keyModelVersion = "model_version"
	keyPrediction   = "prediction"
	keyRows         = "rows"
	keyWarnings     = "warnings"
	keyErrorCode    = "error_code"
	keyError        = "error"
	keyRemoteAddr   = "remote_addr"
)

// unmatchedRoute is the route label of requests that match no pattern, so
// probes of random paths cannot create new metric series.
const unmatchedRoute = "unmatched"

// requestState travels in the request context from the first middleware to
// the handler and back, collecting what the audit line and the metrics need.
type requestState struct {
	id      string
	route   string
	subject string
	// model is the model the request was admitted under. Handlers use it
	// rather than the server's current model, so a reload never changes
	// the model halfway through a request.
	model      *loaded
	prediction string
	rows       int
	warnings   int
	// observed counts the rows recorded for feedback and drift so far,
	// which numbers the rows of a batch.
	observed int
	err      *Error
	// v2 selects the Open Inference Protocol error body.
	v2 bool
}

type stateKey struct{}

func stateFrom(ctx context.Context) *requestState {
	st, _ := ctx.Value(stateKey{}).(*requestState)
	return st
}

// statusWriter records the status code a handler writes.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withState is the outermost middleware. It accepts the caller's
// X-Request-ID when it is sane or makes one, snapshots the current model
// for the request, and writes the audit line and the metrics once the
// inner handlers are done.
//
// Recovery sits inside this middleware rather than outside, so a panicking
// request is still logged and counted as the 500 it became.
func (s *Server) withState(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		st := &requestState{id: requestID(r.Header.Get("X-Request-ID")), route: unmatchedRoute}
		st.model = s.current.Load()
		w.Header().Set("X-Request-ID", st.id)

		s.metrics.inFlight.Inc()
		defer s.metrics.inFlight.Dec()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), stateKey{}, st)))

		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		elapsed := time.Since(start)
		s.metrics.observe(st.route, r.Method, sw.status, elapsed)
		s.audit(r, st, sw.status, elapsed)
	})
}

// requestID returns the caller's id when it is 1 to 128 characters of
// letters, digits and "-_.:", which keeps log lines and headers safe, and
// a new random id otherwise.
func requestID(given string) string {
	if len(given) > 0 && len(given) <= 128 {
		ok := true
		for i := 0; i < len(given) && ok; i++ {
			c := given[i]
			ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
				c == '-' || c == '_' || c == '.' || c == ':'
		}
		if ok {
			return given
		}
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	return hex.EncodeToString(b[:])
}

// audit writes the one log line per request. It never logs headers or
// bodies, so tokens, client secrets and feature values stay out of the log.
func (s *Server) audit(r *http.Request, st *requestState, status int, elapsed time.Duration) {
	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelError
	case status >= 400:
		level = slog.LevelWarn
	}
	ctx := r.Context()
	if !s.log.Enabled(ctx, level) {
		return
	}

	attrs := make([]slog.Attr, 0, 14)
	attrs = append(attrs,
		slog.String(keyRequestID, st.id),
		slog.String(keyMethod, r.Method),
		slog.String(keyRoute, st.route),
		slog.Int(keyStatus, status),
		slog.Float64(keyDurationMS, float64(elapsed.Microseconds())/1000),
		slog.String(keySubject, st.subject),
		slog.String(keyRemoteAddr, r.RemoteAddr),
	)

	if st.model != nil {
		attrs = append(attrs, slog.String(keyModel, st.model.ref.Name), slog.Int(keyModelVersion, st.model.ref.Version))
	}
	if st.prediction != "" {
		attrs = append(attrs, slog.String(keyPrediction, st.prediction))
	}
	if st.rows > 0 {
		attrs = append(attrs, slog.Int(keyRows, st.rows))
	}
	if st.warnings > 0 {
		attrs = append(attrs, slog.Int(keyWarnings, st.warnings))
	}

	if st.err != nil {
		attrs = append(attrs, slog.String(keyErrorCode, st.err.Code))
		if st.err.Cause != nil && status >= 500 {
			attrs = append(attrs, slog.String(keyError, st.err.Cause.Error()))
		}
	}
	s.log.LogAttrs(ctx, level, "request", attrs...)
}

// recoverPanics turns a panic in a handler into a 500 response. The stack
// goes to the log once, the client sees only the request id.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("handler panic", keyError, fmt.Sprint(v), "stack", string(debug.Stack()))
			writeError(w, r, &Error{
				Status:  http.StatusInternalServerError,
				Code:    CodeInternal,
				Message: "internal error",
				Cause:   fmt.Errorf("panic: %v", v),
			})
		}()
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets the headers of every response. All responses are
// JSON, so a Content-Security-Policy that allows nothing is safe, and no
// response may be cached because predictions and tokens are per caller.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for _, kv := range securityHeaderValues {
			h[kv.key] = kv.value
		}
		if r.TLS != nil {
			h["Strict-Transport-Security"] = hstsValue
		}
		next.ServeHTTP(w, r)
	})
}

// securityHeaderValues are assigned to every response's header map
// directly: http.Header.Set would canonicalise the key and allocate a new
// slice per header per request. The keys are already canonical, and a
// later Add appends to a full slice, which copies it, so sharing is safe.
var securityHeaderValues = []struct {
	key   string
	value []string
}{
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"X-Frame-Options", []string{"DENY"}},
	{"Content-Security-Policy", []string{"default-src 'none'; frame-ancestors 'none'"}},
	{"Referrer-Policy", []string{"no-referrer"}},
	{"Cache-Control", []string{"no-store"}},
}

var hstsValue = []string{"max-age=31536000"}
