// Package api holds the JSON request and response types of the mlops
// inference server and a small client for them. It is shared by the server
// (pkg/server) and the commands that talk to it (predict, doctor), so both
// sides agree on field names. It must not import the server or the CLI.
package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Features is one input row: either positional values in the model's feature
// order, or values keyed by feature name. Exactly one of the two is set.
type Features struct {
	Values []float64
	Named  map[string]float64
}

// MarshalJSON writes Named as an object when it is set, else Values as an array.
func (f Features) MarshalJSON() ([]byte, error) {
	if f.Named != nil {
		return json.Marshal(f.Named)
	}
	if f.Values == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(f.Values)
}

// UnmarshalJSON reads an array into Values or an object into Named. The
// server does not use it: it decodes requests with its own strict decoder.
func (f *Features) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '{' {
		f.Values = nil
		return json.Unmarshal(data, &f.Named)
	}
	f.Named = nil
	return json.Unmarshal(data, &f.Values)
}

// PredictRequest is the body of POST /predict.
type PredictRequest struct {
	Features Features `json:"features"`
}

// BatchRequest is the body of POST /predict/batch.
type BatchRequest struct {
	Instances []Features `json:"instances"`
}

// ModelRef names the model version that produced a response.
type ModelRef struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
	Digest  string `json:"digest,omitempty"`
}

// Warning flags an input that was predicted but deserves attention, such as
// a value far outside the training range.
type Warning struct {
	Code    string  `json:"code"`
	Field   string  `json:"field"`
	Value   float64 `json:"value"`
	Message string  `json:"message"`
}

// WarningOutOfDistribution is the Warning code for a value outside
// [min - 3*std, max + 3*std] of the training data.
const WarningOutOfDistribution = "out_of_distribution"

// Prediction is the result for one row.
type Prediction struct {
	// Index is the position of Class in ModelInfo.Classes.
	Index         int                `json:"prediction"`
	Class         string             `json:"class"`
	Probabilities map[string]float64 `json:"probabilities"`
	Warnings      []Warning          `json:"warnings,omitempty"`
}

// PredictResponse is the body returned by POST /predict.
type PredictResponse struct {
	Prediction
	Model     ModelRef `json:"model"`
	RequestID string   `json:"request_id"`
}

// BatchResponse is the body returned by POST /predict/batch. Predictions are
// in the order of the request's instances.
type BatchResponse struct {
	Predictions []Prediction `json:"predictions"`
	Model       ModelRef     `json:"model"`
	RequestID   string       `json:"request_id"`
}

// FeatureStats summarises one feature of the training data.
type FeatureStats struct {
	Name string  `json:"name"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
	// Quantiles are the deciles q10 to q90.
	Quantiles []float64 `json:"quantiles,omitempty"`
}

// ModelInfo is the body returned by GET /model/info.
type ModelInfo struct {
	Name     string         `json:"name"`
	Version  int            `json:"version"`
	Digest   string         `json:"digest"`
	Features []string       `json:"features"`
	Classes  []string       `json:"classes"`
	Stats    []FeatureStats `json:"stats,omitempty"`
	// Metrics is the evaluation stored with the model at training time.
	Metrics   json.RawMessage `json:"metrics,omitempty"`
	TrainedAt time.Time       `json:"trained_at,omitzero"`
	LoadedAt  time.Time       `json:"loaded_at"`
	// Drift summarises input drift of the served model; GET /drift has
	// the figures per feature.
	Drift *DriftStatus `json:"drift,omitempty"`
}

// HealthResponse is the body returned by GET /health.
type HealthResponse struct {
	Status string `json:"status"`
}

// ReadyResponse is the body returned by GET /ready, with status 200 when
// Ready is true and 503 otherwise.
type ReadyResponse struct {
	Ready bool      `json:"ready"`
	Model *ModelRef `json:"model,omitempty"`
	// Limiter is the rate-limit backend in use: "redis" or "memory".
	Limiter string `json:"limiter,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// TokenRequest is the JSON body of POST /token. The endpoint also accepts
// the same fields as an application/x-www-form-urlencoded form.
type TokenRequest struct {
	GrantType    string `json:"grant_type,omitempty"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// TokenResponse is the body returned by POST /token, shaped like an OAuth 2.0
// client-credentials response (RFC 6749 section 5.1).
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	// ExpiresIn is the token lifetime in seconds.
	ExpiresIn int      `json:"expires_in"`
	Roles     []string `json:"roles"`
}

// ReloadResponse is the body returned by POST /admin/reload.
type ReloadResponse struct {
	Previous ModelRef `json:"previous"`
	Current  ModelRef `json:"current"`
}

// ErrorBody is the envelope of every error response outside the /v2 routes.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail carries a stable machine-readable code, a message safe to show
// to the caller and the request id to quote when reporting a problem.
type ErrorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id,omitempty"`
}

// Error is returned by Client methods when the server answers with an error
// status.
type Error struct {
	Status    int
	Code      string
	Message   string
	RequestID string
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("server returned %d %s: %s", e.Status, e.Code, e.Message)
	if e.RequestID != "" {
		msg += " (request id " + e.RequestID + ")"
	}
	return msg
}
