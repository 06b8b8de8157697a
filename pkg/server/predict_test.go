package server

import (
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/auth"
)

func TestPredict_Answers(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token("alice", auth.RolePredict)
	tests := []struct {
		name, body, class string
	}{
		{"positional setosa", `{"features":[5.1,3.5,1.4,0.2]}`, "setosa"},
		{"named virginica", `{"features":{"sepal_length":7.7,"sepal_width":3.0,"petal_length":6.1,"petal_width":2.3}}`, "virginica"},
		{"named any order", `{"features":{"petal_width":0.2,"petal_length":1.4,"sepal_width":3.5,"sepal_length":5.1}}`, "setosa"},
		{"integers and exponents", `{"features":[6,2.9,4.5e0,15E-1]}`, "versicolor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.do("POST", "/predict", tok, tt.body)
			if res.status != http.StatusOK {
				t.Fatalf("POST /predict %s: status %d, body %s", tt.body, res.status, res.body)
			}
			got := decodeJSON[api.PredictResponse](t, res.body)
			if got.Class != tt.class {
				t.Errorf("class = %q, want %q", got.Class, tt.class)
			}
			sum := 0.0
			for _, p := range got.Probabilities {
				sum += p
			}
			if math.Abs(sum-1) > 1e-9 || len(got.Probabilities) != 3 {
				t.Errorf("probabilities %v: want 3 classes summing to 1", got.Probabilities)
			}
			if got.Probabilities[got.Class] < got.Probabilities["setosa"] {
				t.Errorf("class %q is not the most probable in %v", got.Class, got.Probabilities)
			}
			if got.Model.Name != "iris" || got.Model.Version != 1 || got.Model.Digest == "" {
				t.Errorf("model = %+v, want iris v1 with a digest", got.Model)
			}
			if got.RequestID == "" || got.RequestID != res.header.Get("X-Request-ID") {
				t.Errorf("request_id %q, X-Request-ID header %q: want equal and non-empty",
					got.RequestID, res.header.Get("X-Request-ID"))
			}
			if len(got.Warnings) != 0 {
				t.Errorf("warnings = %v, want none for a typical row", got.Warnings)
			}
		})
	}
}

func TestPredict_ValidationErrors(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxBodyBytes = 256 })
	tok := f.token("alice", auth.RolePredict)
	all4 := "sepal_length, sepal_width, petal_length, petal_width"
	tests := []struct {
		name, body string
		status     int
		code, msg  string
	}{
		{"empty body", ``, 400, CodeInvalidJSON, "empty body; send a JSON object"},
		{"not an object", `[1,2,3,4]`, 400, CodeInvalidValue, "body: must be a JSON object, got an array"},
		{"syntax error", `{"features":[1,2,3,4]`, 400, CodeInvalidJSON,
			"invalid JSON: unexpected end of input, expected ',' or '}'"},
		{"bad literal", `{"features":[1,2,3,nan]}`, 400, CodeInvalidJSON,
			`invalid JSON at offset 19: expected "null", found 'n'`},
		{"missing features", `{}`, 400, CodeMissingField,
			`features: missing; send {"features": [4 numbers]} or {"features": {"name": number, ...}}`},
		{"unknown field", `{"features":[1,2,3,4],"extra":1}`, 400, CodeUnknownField,
			`unknown field "extra"; the body has one field, "features"`},
		{"field case differs", `{"Features":[1,2,3,4]}`, 400, CodeUnknownField,
			`unknown field "Features"; the body has one field, "features"`},
		{"duplicate top-level key", `{"features":[1,2,3,4],"features":[1,2,3,4]}`, 400, CodeDuplicateKey,
			"features: duplicate key"},
		{"duplicate feature name", `{"features":{"sepal_length":1,"sepal_length":2,"sepal_width":1,"petal_length":1,"petal_width":1}}`,
			400, CodeDuplicateKey, "features.sepal_length: duplicate key"},
		{"duplicate key with escapes", `{"features":{"sepal_length":1,"sepal\u005flength":2}}`, 400, CodeDuplicateKey,
			"features.sepal_length: duplicate key"},
		{"trailing data", `{"features":[1,2,3,4]} {}`, 400, CodeTrailingData,
			"unexpected data after the JSON value at offset 23"},
		{"too few values", `{"features":[1,2,3]}`, 400, CodeFeatureCount,
			"features: expected 4 values (" + all4 + "), got 3"},
		{"too many values", `{"features":[1,2,3,4,5]}`, 400, CodeFeatureCount,
			"features: expected 4 values (" + all4 + "), got 5"},
		{"string value", `{"features":[1,2,"3",4]}`, 400, CodeInvalidValue,
			"features[2]: must be a finite number, got a string"},
		{"NaN as string", `{"features":[1,2,"NaN",4]}`, 400, CodeInvalidValue,
			"features[2]: must be a finite number, got a string"},
		{"null value", `{"features":[1,null,3,4]}`, 400, CodeInvalidValue,
			"features[1]: must be a finite number, got null"},
		{"boolean value", `{"features":[true,2,3,4]}`, 400, CodeInvalidValue,
			"features[0]: must be a finite number, got a boolean"},
		{"nested array value", `{"features":[[1],2,3,4]}`, 400, CodeInvalidValue,
			"features[0]: must be a finite number, got an array"},
		{"overflow to infinity", `{"features":[1,2,3,1e400]}`, 400, CodeInvalidValue,
			"features[3]: number 1e400 is out of range for a 64-bit float"},
		{"named infinity string", `{"features":{"sepal_length":1,"sepal_width":2,"petal_length":3,"petal_width":"Infinity"}}`,
			400, CodeInvalidValue, "features.petal_width: must be a finite number, got a string"},
		{"named null", `{"features":{"sepal_length":null,"sepal_width":2,"petal_length":3,"petal_width":4}}`,
			400, CodeInvalidValue, "features.sepal_length: must be a finite number, got null"},
		{"unknown feature", `{"features":{"sepal_length":1,"sepal_width":2,"petal_length":3,"petal_size":4}}`,
			400, CodeUnknownFeature, "features.petal_size: unknown feature; expected " + all4},
		{"missing feature", `{"features":{"sepal_length":1,"sepal_width":2,"petal_length":3}}`,
			400, CodeMissingFeature, "features.petal_width: missing"},
		{"features is a string", `{"features":"1,2,3,4"}`, 400, CodeInvalidValue,
			"features: must be an array of numbers or an object of feature values, got a string"},
		{"leading zero", `{"features":[01,2,3,4]}`, 400, CodeInvalidJSON,
			`invalid JSON at offset 14: expected ',' or ']', found '1'`},
		{"body too large", `{"features":[` + strings.Repeat("1,", 200) + `1]}`, 413, CodeBodyTooLarge,
			"request body exceeds 256 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.do("POST", "/predict", tok, tt.body)
			if res.status != tt.status {
				t.Fatalf("POST /predict %s: status %d, want %d; body %s", tt.body, res.status, tt.status, res.body)
			}
			got := res.errorBody(t)
			want := api.ErrorDetail{Code: tt.code, Message: tt.msg, RequestID: res.header.Get("X-Request-ID")}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("POST /predict %s: error body (-want +got):\n%s", tt.body, diff)
			}
		})
	}
}

func TestPredict_RejectsOtherContentType(t *testing.T) {
	f := newFixture(t, nil)
	req, _ := http.NewRequest("POST", f.ts.URL+"/predict", strings.NewReader(`{"features":[1,2,3,4]}`))
	req.Header.Set("Authorization", "Bearer "+f.token("alice", auth.RolePredict))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res := f.send(req)
	if res.status != http.StatusUnsupportedMediaType || res.errorBody(t).Code != CodeUnsupportedMediaType {
		t.Errorf("form content type: status %d body %s, want 415 %s", res.status, res.body, CodeUnsupportedMediaType)
	}
}

func TestPredict_OutOfDistributionWarns(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token("alice", auth.RolePredict)
	res := f.do("POST", "/predict", tok, `{"features":[5.1,3.5,1.4,40]}`)
	if res.status != http.StatusOK {
		t.Fatalf("status %d, body %s", res.status, res.body)
	}
	got := decodeJSON[api.PredictResponse](t, res.body)
	if len(got.Warnings) != 1 {
		t.Fatalf("warnings = %+v, want one for petal_width", got.Warnings)
	}
	w := got.Warnings[0]
	if w.Code != api.WarningOutOfDistribution || w.Field != "petal_width" || w.Value != 40 {
		t.Errorf("warning = %+v, want out_of_distribution on petal_width = 40", w)
	}
	if n := metricValue(t, f.srv.metrics.oodInputs.WithLabelValues("petal_width")); n != 1 {
		t.Errorf("mlops_ood_inputs_total{feature=petal_width} = %v, want 1", n)
	}
}

func TestBatch(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxBatch = 3 })
	tok := f.token("alice", auth.RolePredict)

	res := f.do("POST", "/predict/batch", tok,
		`{"instances":[[5.1,3.5,1.4,0.2],{"sepal_length":7.7,"sepal_width":3.0,"petal_length":6.1,"petal_width":2.3},[5.1,3.5,1.4,-30]]}`)
	if res.status != http.StatusOK {
		t.Fatalf("status %d, body %s", res.status, res.body)
	}
	got := decodeJSON[api.BatchResponse](t, res.body)
	classes := []string{}
	for _, p := range got.Predictions {
		classes = append(classes, p.Class)
	}
	if diff := cmp.Diff([]string{"setosa", "virginica", "setosa"}, classes); diff != "" {
		t.Errorf("batch classes (-want +got):\n%s", diff)
	}
	if len(got.Predictions[2].Warnings) != 1 || len(got.Predictions[0].Warnings) != 0 {
		t.Errorf("warnings per row: %+v, want only row 2 flagged", got.Predictions)
	}

	errs := []struct{ name, body, code, msg string }{
		{"too many rows", `{"instances":[[1,2,3,4],[1,2,3,4],[1,2,3,4],[1,2,3,4]]}`, CodeBatchTooLarge,
			"instances: more than 3 rows; send at most 3 per request"},
		{"empty", `{"instances":[]}`, CodeMissingField, "instances: empty; send at least one row"},
		{"missing", `{}`, CodeMissingField, `instances: missing; send {"instances": [ROW, ...]}`},
		{"bad cell", `{"instances":[[1,2,3,4],[1,2,null,4]]}`, CodeInvalidValue,
			"instances[1][2]: must be a finite number, got null"},
		{"bad named cell", `{"instances":[{"sepal_length":1,"sepal_width":2,"petal_length":3,"petal_width":false}]}`,
			CodeInvalidValue, "instances[0].petal_width: must be a finite number, got a boolean"},
		{"short row", `{"instances":[[1,2,3,4],[1,2]]}`, CodeFeatureCount,
			"instances[1]: expected 4 values (sepal_length, sepal_width, petal_length, petal_width), got 2"},
		{"not an array", `{"instances":{"a":1}}`, CodeInvalidValue, "instances: must be an array of rows, got an object"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			res := f.do("POST", "/predict/batch", tok, tt.body)
			got := res.errorBody(t)
			if res.status != 400 || got.Code != tt.code || got.Message != tt.msg {
				t.Errorf("POST /predict/batch %s: %d %s %q, want 400 %s %q", tt.body, res.status, got.Code, got.Message, tt.code, tt.msg)
			}
		})
	}
}

func TestModelInfo(t *testing.T) {
	f := newFixture(t, nil)
	res := f.do("GET", "/model/info", f.token("bob", auth.RoleRead), "")
	if res.status != http.StatusOK {
		t.Fatalf("status %d, body %s", res.status, res.body)
	}
	got := decodeJSON[api.ModelInfo](t, res.body)
	if got.Name != "iris" || got.Version != 1 || got.Digest == "" {
		t.Errorf("model = %s v%d digest %q, want iris v1 with a digest", got.Name, got.Version, got.Digest)
	}
	if diff := cmp.Diff([]string{"sepal_length", "sepal_width", "petal_length", "petal_width"}, got.Features); diff != "" {
		t.Errorf("features (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"setosa", "versicolor", "virginica"}, got.Classes); diff != "" {
		t.Errorf("classes (-want +got):\n%s", diff)
	}
	if len(got.Stats) != 4 || got.Stats[3].Max != 2.5 {
		t.Errorf("stats = %+v, want 4 features with petal_width max 2.5", got.Stats)
	}
	if got.TrainedAt.Year() != 2026 || len(got.Metrics) == 0 {
		t.Errorf("trained_at %v, metrics %s: want the training metadata", got.TrainedAt, got.Metrics)
	}
}
