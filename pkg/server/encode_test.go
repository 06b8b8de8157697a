package server

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mlops-dev/mlops/pkg/api"
)

func TestEncodePredict_MatchesEncodingJSON(t *testing.T) {
	tests := []struct {
		name    string
		classes []string
		probs   []float64
	}{
		{"iris", []string{"setosa", "versicolor", "virginica"}, []float64{0.98, 0.02, 0}},
		{"odd class names", []string{"a\"b", "back\\slash", "tab\tnew\nline\x01", "é ünïcode", "bad\xffutf8", "<html>&"},
			[]float64{1e-9, 0.5, 1.0 / 3, 2.5e-300, 0.1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			byClass := map[string]float64{}
			for i, c := range tt.classes {
				byClass[c] = tt.probs[i]
			}
			resp := &api.PredictResponse{
				Prediction: api.Prediction{Index: 1, Class: tt.classes[1], Probabilities: byClass},
				Model:      api.ModelRef{Name: "iris\u2028x", Version: 3, Digest: "abc"},
				RequestID:  "req-1",
			}
			fast := appendPredictResponse(nil, resp, tt.classes, tt.probs)
			slow, err := json.Marshal(resp)
			if err != nil {
				t.Fatal(err)
			}
			var got, want any
			if err := json.Unmarshal(fast, &got); err != nil {
				t.Fatalf("hand-encoded response is not JSON: %v\n%s", err, fast)
			}
			if err := json.Unmarshal(slow, &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("hand encoder differs from encoding/json (-want +got):\n%s\nfast: %s", diff, fast)
			}
		})
	}
}
