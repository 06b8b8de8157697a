package server

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/ratelimit"
)

// rolePublic marks routes that need no token.
const rolePublic = ""

// handlerFunc is a route handler. It returns errors instead of writing
// them, so that writeError is the only place that writes error responses.
type handlerFunc func(w http.ResponseWriter, r *http.Request, st *requestState) error

// routeInfo describes one registered route, for the OpenAPI test and for
// building the method-not-allowed responses.
type routeInfo struct {
	method, path, role string
}

func (s *Server) buildHandlers() {
	mux := http.NewServeMux()
	s.register(mux, "GET /health", rolePublic, s.handleHealth)
	s.register(mux, "GET /ready", rolePublic, s.handleReady)
	s.register(mux, "GET /openapi.json", rolePublic, s.handleOpenAPI)
	s.register(mux, "POST /predict", auth.RolePredict, s.handlePredict)
	s.register(mux, "POST /predict/batch", auth.RolePredict, s.handleBatch)
	s.register(mux, "GET /model/info", auth.RoleRead, s.handleModelInfo)
	s.register(mux, "POST /admin/reload", auth.RoleAdmin, s.handleReload)
	s.register(mux, "POST /feedback", auth.RoleFeedback, s.handleFeedback)
	s.register(mux, "GET /drift", auth.RoleRead, s.handleDrift)
	if s.opts.Issuer != nil && s.opts.Clients != nil {
		s.register(mux, "POST /token", rolePublic, s.handleToken)
	}
	s.registerV2(mux)

	metricsHandler := s.wrapOuter(s.metricsMux())
	if s.opts.MetricsAddr == "" {
		s.register(mux, "GET /metrics", rolePublic, s.handleMetrics)
	}
	s.registerFallbacks(mux)
	s.handler = s.wrapOuter(s.rejectNonCanonical(mux))
	if s.opts.ServedBy != "" {
		s.handler = ServedBy(s.handler, s.opts.ServedBy)
	}
	s.metricsHandler = metricsHandler
}

func (s *Server) metricsMux() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.routeHandler("GET /metrics", rolePublic, s.handleMetrics))
	mux.Handle("/", s.routeHandler("", rolePublic, handleNotFound))
	return mux
}

func (s *Server) wrapOuter(h http.Handler) http.Handler {
	return s.withState(s.recoverPanics(s.securityHeaders(h)))
}

// register adds pattern ("METHOD /path") with the middleware its role needs.
func (s *Server) register(mux *http.ServeMux, pattern, role string, h handlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	s.routes = append(s.routes, routeInfo{method: method, path: path, role: role})
	mux.Handle(pattern, s.routeHandler(pattern, role, h))
}

// registerFallbacks serves 404 for unknown paths and 405 for known paths
// with a wrong method, both as JSON rather than the mux's plain text.
func (s *Server) registerFallbacks(mux *http.ServeMux) {
	allowed := map[string][]string{}
	for _, rt := range s.routes {
		allowed[rt.path] = append(allowed[rt.path], rt.method)
	}
	for path, methods := range allowed {
		sort.Strings(methods)
		allow := strings.Join(methods, ", ")
		mux.Handle(path, s.routeHandler(path, rolePublic,
			func(w http.ResponseWriter, r *http.Request, st *requestState) error {
				w.Header().Set("Allow", allow)
				return &Error{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed,
					Message: r.Method + " is not allowed here; use " + allow}
			}))
	}
	mux.Handle("/", s.routeHandler("", rolePublic, handleNotFound))
}

// rejectNonCanonical responds with a JSON 404 to a path that is not in
// canonical form ("//predict", "/./predict", "/predict/", or "*" of
// OPTIONS *). http.ServeMux would otherwise redirect most of them with an
// HTML body, which lets a client reach a route under a second name.
func (s *Server) rejectNonCanonical(next http.Handler) http.Handler {
	notFound := s.routeHandler("", rolePublic, handleNotFound)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; !strings.HasPrefix(p, "/") || path.Clean(p) != p {
			notFound.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func handleNotFound(w http.ResponseWriter, r *http.Request, st *requestState) error {
	return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "no such route; see GET /openapi.json"}
}

// routeHandler chains the per-route middleware: route label, auth, rate
// limit, body cap, then the handler.
func (s *Server) routeHandler(pattern, role string, h handlerFunc) http.Handler {
	v2 := strings.HasPrefix(pattern, "GET /v2") || strings.HasPrefix(pattern, "POST /v2")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateFrom(r.Context())
		if pattern != "" {
			st.route = pattern
		}
		st.v2 = v2
		if err := s.guard(w, r, st, role); err != nil {
			writeError(w, r, err)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
		if err := h(w, r, st); err != nil {
			writeError(w, r, err)
		}
	})
}

// guard authenticates the caller and applies the rate limit of role. Public
// routes pass, except POST /token, which is limited per remote address
// here and per client_id in handleToken once the body is read.
func (s *Server) guard(w http.ResponseWriter, r *http.Request, st *requestState, role string) error {
	if role == rolePublic {
		if st.route == "POST /token" {
			return s.limit(w, r, "token:"+s.clientIP(r), "token", s.opts.TokenRule)
		}
		return nil
	}
	if err := s.authenticate(r, st, role); err != nil {
		return err
	}
	rule, ok := s.opts.Rules[role]
	if !ok {
		return nil
	}
	return s.limit(w, r, role+":"+st.subject, role, rule)
}

func (s *Server) authenticate(r *http.Request, st *requestState, role string) error {
	raw, err := auth.BearerToken(r)
	if err == nil {
		var claims *auth.Claims
		claims, err = s.opts.Verifier.Verify(raw)
		if err == nil {
			st.subject = claims.Subject
			err = auth.RequireRole(claims, role)
		}
	}
	if err != nil {
		s.metrics.authFailures.WithLabelValues(authReason(err)).Inc()
	}
	return err
}

func authReason(err error) string {
	var ae *auth.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return "other"
}

// limit checks key with the limiter and sets the RateLimit headers
// (draft-ietf-httpapi-ratelimit-headers) on every response it allows or
// rejects. When one request passes several limits, the headers describe
// the one with the fewest requests left. A limiter error fails closed with 503. ratelimit.Fallback
// already decides from memory while Redis is away, so an error here means
// that no limiter can decide at all.
func (s *Server) limit(w http.ResponseWriter, r *http.Request, key, role string, rule ratelimit.Rule) error {
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.LimiterTimeout)
	d, err := s.opts.Limiter.Allow(ctx, key, rule)
	cancel()
	if err != nil {
		w.Header().Set("Retry-After", "1")
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeLimiterUnavailable,
			Message: "rate limiter unavailable; retry shortly", Cause: err}
	}
	h := w.Header()
	if d.Allowed && !tighterThanHeader(h, d) {
		// An earlier limit of this request leaves fewer requests, so the
		// headers keep describing that one.
		return nil
	}
	h.Set("RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(max(d.Remaining, 0)))
	h.Set("RateLimit-Reset", ceilSeconds(d.ResetAfter))
	if d.Allowed {
		return nil
	}
	s.metrics.rateLimitRejected.WithLabelValues(role).Inc()
	retry := ceilSeconds(d.RetryAfter)
	h.Set("Retry-After", retry)
	return &Error{Status: http.StatusTooManyRequests, Code: CodeRateLimited,
		Message: "rate limit exceeded; retry after " + retry + " s"}
}

// tighterThanHeader reports whether d leaves fewer requests than the
// RateLimit-Remaining header already set, or whether none is set.
func tighterThanHeader(h http.Header, d ratelimit.Decision) bool {
	remaining, err := strconv.Atoi(h.Get("RateLimit-Remaining"))
	return err != nil || max(d.Remaining, 0) < remaining
}

// ceilSeconds renders d as whole seconds rounded up, at least 1 for any
// positive wait, as Retry-After requires integers.
func ceilSeconds(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return strconv.FormatInt(int64(math.Ceil(d.Seconds())), 10)
}

// remoteIP returns the connection's peer address.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
