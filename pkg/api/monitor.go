package api

import (
	"context"
	"net/http"
)

// FeedbackRequest is the body of POST /feedback: the true label of an
// earlier prediction.
type FeedbackRequest struct {
	// RequestID is the request_id of the prediction response (for v2 infer,
	// the X-Request-ID response header).
	RequestID string `json:"request_id"`
	// Row is the row of a batch or v2 infer request, counted from 0. A
	// single prediction is row 0.
	Row   int    `json:"row,omitempty"`
	Label string `json:"label"`
}

// FeedbackResponse is the body returned by POST /feedback.
type FeedbackResponse struct {
	RequestID string `json:"request_id"`
	Row       int    `json:"row"`
	// ModelVersion is the version that made the prediction.
	ModelVersion int    `json:"model_version"`
	Predicted    string `json:"predicted"`
	Label        string `json:"label"`
	Correct      bool   `json:"correct"`
	// Repeated is true when the prediction already had this label, so this
	// one was not counted again.
	Repeated bool `json:"repeated"`
}

// FeatureDrift is the drift of one input feature.
type FeatureDrift struct {
	Name string `json:"name"`
	// PSI is the population stability index of recent inputs against the
	// training deciles; 0 until the window holds MinSamples rows.
	PSI     float64 `json:"psi"`
	Drifted bool    `json:"drifted"`
	// Available is false when the model stores no deciles for the feature.
	Available bool `json:"available"`
}

// DriftResponse is the body returned by GET /drift.
type DriftResponse struct {
	Model ModelRef `json:"model"`
	// Samples is the number of recent input rows in the window, at most
	// Window.
	Samples    int `json:"samples"`
	Window     int `json:"window"`
	MinSamples int `json:"min_samples"`
	// Threshold is the PSI above which a feature counts as drifted.
	Threshold float64 `json:"threshold"`
	// Ready is true once Samples reaches MinSamples.
	Ready    bool           `json:"ready"`
	Drifted  int            `json:"drifted"`
	Features []FeatureDrift `json:"features"`
}

// DriftStatus is the drift summary in GET /model/info.
type DriftStatus struct {
	Ready   bool `json:"ready"`
	Samples int  `json:"samples"`
	// Drifted is true when at least one feature has drifted.
	Drifted         bool     `json:"drifted"`
	DriftedFeatures []string `json:"drifted_features"`
}

// Feedback calls POST /feedback.
func (c *Client) Feedback(ctx context.Context, req FeedbackRequest) (*FeedbackResponse, error) {
	var out FeedbackResponse
	return &out, c.do(ctx, http.MethodPost, "/feedback", req, &out)
}

// Drift calls GET /drift.
func (c *Client) Drift(ctx context.Context) (*DriftResponse, error) {
	var out DriftResponse
	return &out, c.do(ctx, http.MethodGet, "/drift", nil, &out)
}
