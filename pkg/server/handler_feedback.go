package server

import (
	"errors"
	"net/http"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/monitor"
)

// Error codes of POST /feedback, part of the public API like those in
// errors.go.
const (
	CodeUnknownRequestID  = "unknown_request_id"
	CodePredictionExpired = "prediction_expired"
	CodeUnknownLabel      = "unknown_label"
	CodeAlreadyLabelled   = "already_labelled"
)

func (s *Server) handleFeedback(w http.ResponseWriter, r *http.Request, st *requestState) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var req api.FeedbackRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	switch {
	case req.RequestID == "":
		return badRequest(CodeMissingField, "request_id: missing; send the request_id of the prediction answer")
	case req.Label == "":
		return badRequest(CodeMissingField, "label: missing; send the true class name")
	case req.Row < 0:
		return badRequest(CodeInvalidValue, "row: %d must be 0 or more", req.Row)
	}

	res, err := s.monitor.predictions.Feedback(req.RequestID, req.Row, req.Label)
	if err != nil {
		return feedbackError(err)
	}
	writeJSON(w, http.StatusOK, api.FeedbackResponse{
		RequestID: req.RequestID, Row: req.Row, ModelVersion: res.Version,
		Predicted: res.Predicted, Label: res.Label, Correct: res.Correct, Repeated: res.Repeated,
	})
	return nil
}

// feedbackError maps the errors of monitor.Predictions.Feedback to error
// responses. The monitor's messages name the request id, row and classes,
// which the caller sent or may read at GET /model/info.
func feedbackError(err error) error {
	e := &Error{Message: err.Error()}
	switch {
	case errors.Is(err, monitor.ErrUnknownRequest):
		e.Status, e.Code = http.StatusNotFound, CodeUnknownRequestID
		e.Message += "; send the request_id of a prediction made by this server"
	case errors.Is(err, monitor.ErrTooLate):
		e.Status, e.Code = http.StatusGone, CodePredictionExpired
	case errors.Is(err, monitor.ErrUnknownLabel):
		e.Status, e.Code = http.StatusBadRequest, CodeUnknownLabel
	case errors.Is(err, monitor.ErrAlreadyLabelled):
		e.Status, e.Code = http.StatusConflict, CodeAlreadyLabelled
	default:
		return err
	}
	return e
}

func (s *Server) handleDrift(w http.ResponseWriter, r *http.Request, st *requestState) error {
	l, report := s.driftReport()
	writeJSON(w, http.StatusOK, apiDrift(l, report))
	return nil
}
