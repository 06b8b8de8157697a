package server

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/auth"
)

func TestV2_HealthAndMetadata(t *testing.T) {
	f := newFixture(t, nil)
	read := f.token("r", auth.RoleRead)

	if got := decodeJSON[api.V2ServerLive](t, f.do("GET", "/v2/health/live", "", "").body); !got.Live {
		t.Errorf("GET /v2/health/live = %+v, want live", got)
	}
	if got := decodeJSON[api.V2ServerReady](t, f.do("GET", "/v2/health/ready", "", "").body); !got.Ready {
		t.Errorf("GET /v2/health/ready = %+v, want ready", got)
	}
	server := decodeJSON[api.V2ServerMetadata](t, f.do("GET", "/v2", read, "").body)
	if server.Name != "mlops" || server.Version != "test" {
		t.Errorf("GET /v2 = %+v, want mlops version test", server)
	}

	for _, path := range []string{"/v2/models/iris", "/v2/models/iris/versions/1"} {
		res := f.do("GET", path, read, "")
		if res.status != 200 {
			t.Fatalf("GET %s: %d %s", path, res.status, res.body)
		}
		want := api.V2ModelMetadata{
			Name: "iris", Versions: []string{"1"}, Platform: v2Platform,
			Inputs: []api.V2TensorMetadata{{Name: v2InputName, Datatype: "FP64", Shape: []int64{-1, 4}}},
			Outputs: []api.V2TensorMetadata{
				{Name: "label", Datatype: "BYTES", Shape: []int64{-1}},
				{Name: "class_index", Datatype: "INT64", Shape: []int64{-1}},
				{Name: "probabilities", Datatype: "FP64", Shape: []int64{-1, 3}},
			},
		}
		if diff := cmp.Diff(want, decodeJSON[api.V2ModelMetadata](t, res.body)); diff != "" {
			t.Errorf("GET %s (-want +got):\n%s", path, diff)
		}
		ready := decodeJSON[api.V2ModelReady](t, f.do("GET", path+"/ready", read, "").body)
		if !ready.Ready || ready.Name != "iris" {
			t.Errorf("GET %s/ready = %+v, want iris ready", path, ready)
		}
	}

	for _, path := range []string{"/v2/models/wine", "/v2/models/iris/versions/2", "/v2/models/iris/versions/2/ready"} {
		res := f.do("GET", path, read, "")
		got := decodeJSON[api.V2Error](t, res.body)
		if res.status != 404 || got.Error == "" {
			t.Errorf("GET %s: %d %s, want 404 with a v2 error body", path, res.status, res.body)
		}
	}
}

func TestV2_Infer(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token("p", auth.RolePredict)
	tests := []struct {
		name, body string
		want       []string
	}{
		{"flat FP64", `{"id":"r1","inputs":[{"name":"input-0","shape":[2,4],"datatype":"FP64","data":[5.1,3.5,1.4,0.2,7.7,3.0,6.1,2.3]}]}`,
			[]string{"setosa", "virginica"}},
		{"nested FP32", `{"inputs":[{"name":"x","shape":[2,4],"datatype":"FP32","data":[[5.1,3.5,1.4,0.2],[7.7,3.0,6.1,2.3]]}]}`,
			[]string{"setosa", "virginica"}},
		{"versioned path", `{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP64","data":[5.1,3.5,1.4,0.2]}],"parameters":{"content_type":"np"}}`,
			[]string{"setosa"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/v2/models/iris/infer"
			if i == 2 {
				path = "/v2/models/iris/versions/1/infer"
			}
			res := f.do("POST", path, tok, tt.body)
			if res.status != http.StatusOK {
				t.Fatalf("POST %s: %d %s", path, res.status, res.body)
			}
			got := decodeJSON[api.V2InferResponse](t, res.body)
			if got.ModelName != "iris" || got.ModelVersion != "1" {
				t.Errorf("model %s version %s, want iris 1", got.ModelName, got.ModelVersion)
			}
			if len(got.Outputs) != 3 {
				t.Fatalf("outputs = %+v, want label, class_index and probabilities", got.Outputs)
			}
			labels := []string{}
			for _, v := range got.Outputs[0].Data.([]any) {
				labels = append(labels, v.(string))
			}
			if diff := cmp.Diff(tt.want, labels); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
			probs := got.Outputs[2]
			if probs.Datatype != "FP64" || !cmp.Equal(probs.Shape, []int64{int64(len(tt.want)), 3}) ||
				len(probs.Data.([]any)) != 3*len(tt.want) {
				t.Errorf("probabilities tensor = %+v, want FP64 [%d, 3]", probs, len(tt.want))
			}
		})
	}

	res := f.do("POST", "/v2/models/iris/infer", tok,
		`{"id":"only-label","inputs":[{"name":"x","shape":[1,4],"datatype":"FP64","data":[5.1,3.5,1.4,90]}],"outputs":[{"name":"label"}]}`)
	got := decodeJSON[api.V2InferResponse](t, res.body)
	if got.ID != "only-label" || len(got.Outputs) != 1 || got.Outputs[0].Name != "label" {
		t.Errorf("requested outputs: got %+v, want only label and id echoed", got)
	}
	if got.Parameters["warnings"] == nil {
		t.Errorf("out-of-range petal_width not flagged in parameters: %s", res.body)
	}
}

func TestV2_InferErrors(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxBatch = 2 })
	tok := f.token("p", auth.RolePredict)
	in := func(shape, datatype, data string) string {
		return `{"inputs":[{"name":"x","shape":` + shape + `,"datatype":"` + datatype + `","data":` + data + `}]}`
	}
	tests := []struct {
		name, body, want string
	}{
		{"wrong datatype", in("[1,4]", "INT64", "[1,2,3,4]"), `invalid_value: inputs[0].datatype: must be FP32 or FP64, got "INT64"`},
		{"wrong width", in("[1,3]", "FP64", "[1,2,3]"),
			"wrong_feature_count: inputs[0].shape: must be [N, 4] for features sepal_length, sepal_width, petal_length, petal_width, got [1 3]"},
		{"too many rows", in("[3,4]", "FP64", "[1,2,3,4,1,2,3,4,1,2,3,4]"), "batch_too_large: inputs[0].shape: N must be between 1 and 2, got 3"},
		{"short data", in("[2,4]", "FP64", "[1,2,3,4,5]"), "wrong_feature_count: inputs[0].data: 5 values for shape [2, 4], which needs 8"},
		{"long data", in("[1,4]", "FP64", "[1,2,3,4,5]"), "wrong_feature_count: inputs[0].data: more than 4 values for shape [1, 4]"},
		{"null in data", in("[1,4]", "FP64", "[1,null,3,4]"), "invalid_value: inputs[0].data[1]: must be a finite number, got null"},
		{"string in nested data", in("[1,4]", "FP64", `[[1,2,"NaN",4]]`), "invalid_value: inputs[0].data[0][2]: must be a finite number, got a string"},
		{"ragged nested data", in("[2,4]", "FP64", "[[1,2,3,4],[1,2,3]]"), "wrong_feature_count: inputs[0].data[1]: expected 4 values, got 3"},
		{"FP32 overflow", in("[1,4]", "FP32", "[1,2,3,1e39]"), "invalid_value: inputs[0].data[3]: 1e+39 is out of range for FP32"},
		{"two inputs", `{"inputs":[{"name":"a","shape":[1,4],"datatype":"FP64","data":[1,2,3,4]},{"name":"b","shape":[1,4],"datatype":"FP64","data":[1,2,3,4]}]}`,
			"invalid_value: inputs: expected 1 input tensor of shape [N, 4], got 2 tensors"},
		{"unknown output", `{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP64","data":[1,2,3,4]}],"outputs":[{"name":"logits"}]}`,
			`invalid_value: outputs[0].name: unknown output "logits"; known outputs: [label class_index probabilities]`},
		{"unknown field", `{"inputs":[],"model":"x"}`, `unknown_field: unknown field "model"`},
		{"duplicate key", `{"inputs":[{"name":"x","name":"y","shape":[1,4],"datatype":"FP64","data":[1,2,3,4]}]}`,
			"duplicate_key: inputs[0].name: duplicate key"},
		{"duplicate key in another case", `{"inputs":[],"Inputs":[{"name":"x","shape":[1,4],"datatype":"FP64","data":[1,2,3,4]}]}`,
			"duplicate_key: Inputs: duplicate key"},
		{"trailing data", in("[1,4]", "FP64", "[1,2,3,4]") + "x", "trailing_data: unexpected data after the JSON value at offset 74"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.do("POST", "/v2/models/iris/infer", tok, tt.body)
			got := decodeJSON[api.V2Error](t, res.body)
			if res.status != 400 || got.Error != tt.want {
				t.Errorf("POST /v2/models/iris/infer %s:\n got %d %q\nwant 400 %q", tt.body, res.status, got.Error, tt.want)
			}
		})
	}
}
