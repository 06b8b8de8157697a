package server

import (
	_ "embed"
	"net/http"

	"github.com/mlops-dev/mlops/pkg/api"
)

//go:embed openapi.json
var openAPIDocument []byte

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request, st *requestState) error {
	writeJSON(w, http.StatusOK, api.HealthResponse{Status: "ok"})
	return nil
}

// readiness reports whether the server should receive traffic: a model is
// loaded and the server is not shutting down. A rate limiter that fell back
// to memory still serves, so it does not make the server unready.
func (s *Server) readiness(st *requestState) api.ReadyResponse {
	resp := api.ReadyResponse{Ready: true, Limiter: s.limiterBackend()}
	if st.model != nil {
		ref := st.model.ref
		resp.Model = &ref
	}
	switch {
	case st.model == nil:
		resp.Ready, resp.Reason = false, "no model loaded"
	case s.draining.Load():
		resp.Ready, resp.Reason = false, "shutting down"
	}
	return resp
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request, st *requestState) error {
	resp := s.readiness(st)
	status := http.StatusOK
	if !resp.Ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, resp)
	return nil
}

func (s *Server) handleModelInfo(w http.ResponseWriter, r *http.Request, st *requestState) error {
	info := st.model.info
	_, report := s.driftReport()
	info.Drift = driftStatus(report)
	writeJSON(w, http.StatusOK, info)
	return nil
}

func (s *Server) handleReload(w http.ResponseWriter, r *http.Request, st *requestState) error {
	previous, current, err := s.reload(r.Context())
	if err != nil {
		// The caller is an admin, so the message names the failing file.
		return &Error{Status: http.StatusInternalServerError, Code: CodeReloadFailed,
			Message: "reload failed, the previous model keeps serving: " + err.Error(), Cause: err}
	}
	writeJSON(w, http.StatusOK, api.ReloadResponse{Previous: previous, Current: current})
	return nil
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request, st *requestState) error {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPIDocument)
	return nil
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request, st *requestState) error {
	s.metrics.handler.ServeHTTP(w, r)
	return nil
}
