package api

import "encoding/json"

// The types below follow the REST form of the Open Inference Protocol
// (KServe "V2 inference protocol", also spoken by Triton and MLServer).

// V2ServerLive is the body of GET /v2/health/live.
type V2ServerLive struct {
	Live bool `json:"live"`
}

// V2ServerReady is the body of GET /v2/health/ready.
type V2ServerReady struct {
	Ready bool `json:"ready"`
}

// V2ServerMetadata is the body of GET /v2.
type V2ServerMetadata struct {
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Extensions []string `json:"extensions"`
}

// V2ModelReady is the body of GET /v2/models/NAME/ready.
type V2ModelReady struct {
	Name  string `json:"name"`
	Ready bool   `json:"ready"`
}

// V2TensorMetadata describes one input or output tensor; -1 in Shape stands
// for a dimension of any size.
type V2TensorMetadata struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

// V2ModelMetadata is the body of GET /v2/models/NAME.
type V2ModelMetadata struct {
	Name     string             `json:"name"`
	Versions []string           `json:"versions"`
	Platform string             `json:"platform"`
	Inputs   []V2TensorMetadata `json:"inputs"`
	Outputs  []V2TensorMetadata `json:"outputs"`
}

// V2InferRequest is the body of POST /v2/models/NAME/infer.
type V2InferRequest struct {
	ID         string                     `json:"id,omitempty"`
	Parameters map[string]json.RawMessage `json:"parameters,omitempty"`
	Inputs     []V2RequestInput           `json:"inputs"`
	Outputs    []V2RequestOutput          `json:"outputs,omitempty"`
}

// V2RequestInput is one input tensor. Data holds the values in row-major
// order, either flat or nested to match Shape.
type V2RequestInput struct {
	Name       string                     `json:"name"`
	Shape      []int64                    `json:"shape"`
	Datatype   string                     `json:"datatype"`
	Parameters map[string]json.RawMessage `json:"parameters,omitempty"`
	Data       json.RawMessage            `json:"data"`
}

// V2RequestOutput names an output the caller wants; with none listed, the
// server returns every output.
type V2RequestOutput struct {
	Name       string                     `json:"name"`
	Parameters map[string]json.RawMessage `json:"parameters,omitempty"`
}

// V2InferResponse is the body returned by POST /v2/models/NAME/infer.
type V2InferResponse struct {
	ModelName    string           `json:"model_name"`
	ModelVersion string           `json:"model_version"`
	ID           string           `json:"id,omitempty"`
	Parameters   map[string]any   `json:"parameters,omitempty"`
	Outputs      []V2ResponseData `json:"outputs"`
}

// V2ResponseData is one output tensor, its Data flat in row-major order.
type V2ResponseData struct {
	Name     string  `json:"name"`
	Shape    []int64 `json:"shape"`
	Datatype string  `json:"datatype"`
	Data     any     `json:"data"`
}

// V2Error is the error body on the /v2 routes, as the protocol defines it.
type V2Error struct {
	Error string `json:"error"`
}

// Output tensor names returned by the v2 infer route.
const (
	// V2OutputLabel holds the predicted class name per row (BYTES, shape [N]).
	V2OutputLabel = "label"
	// V2OutputIndex holds the predicted class index per row (INT64, shape [N]).
	V2OutputIndex = "class_index"
	// V2OutputProbabilities holds the class probabilities per row in the
	// order of the model's classes (FP64, shape [N, classes]).
	V2OutputProbabilities = "probabilities"
)
