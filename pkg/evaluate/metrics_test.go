package evaluate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestCompute(t *testing.T) {
	classes := []string{"a", "b", "c"}
	approx := cmpopts.EquateApprox(0, 1e-12)
	tests := []struct {
		name         string
		yTrue, yPred []int
		want         Metrics
	}{
		{
			name:  "perfect",
			yTrue: []int{0, 1, 2, 2},
			yPred: []int{0, 1, 2, 2},
			want: Metrics{
				Accuracy: 1,
				MacroF1:  1,
				PerClass: []ClassMetrics{
					{Class: "a", Precision: 1, Recall: 1, F1: 1, Support: 1},
					{Class: "b", Precision: 1, Recall: 1, F1: 1, Support: 1},
					{Class: "c", Precision: 1, Recall: 1, F1: 1, Support: 2},
				},
				Confusion: [][]int{{1, 0, 0}, {0, 1, 0}, {0, 0, 2}},
			},
		},
		{
			// Worked by hand. Class a has 2 true positives among its 3
			// rows and 2 predictions. Class b has 2 of 2 rows and 4
			// predictions. Class c has 0 of 1 row and no predictions.
			name:  "mixed",
			yTrue: []int{0, 0, 0, 1, 1, 2},
			yPred: []int{0, 0, 1, 1, 1, 1},
			want: Metrics{
				Accuracy: 4.0 / 6,
				MacroF1:  (0.8 + 2.0/3 + 0) / 3,
				PerClass: []ClassMetrics{
					{Class: "a", Precision: 1, Recall: 2.0 / 3, F1: 0.8, Support: 3},
					{Class: "b", Precision: 0.5, Recall: 1, F1: 2.0 / 3, Support: 2},
					{Class: "c", Precision: 0, Recall: 0, F1: 0, Support: 1},
				},
				Confusion: [][]int{{2, 1, 0}, {0, 2, 0}, {0, 1, 0}},
			},
		},
		{
			name:  "class absent from both",
			yTrue: []int{0, 1, 1},
			yPred: []int{0, 1, 0},
			want: Metrics{
				Accuracy: 2.0 / 3,
				MacroF1:  (2.0/3 + 2.0/3) / 2,
				PerClass: []ClassMetrics{
					{Class: "a", Precision: 0.5, Recall: 1, F1: 2.0 / 3, Support: 1},
					{Class: "b", Precision: 1, Recall: 0.5, F1: 2.0 / 3, Support: 2},
					{Class: "c"},
				},
				Confusion: [][]int{{1, 0, 0}, {1, 1, 0}, {0, 0, 0}},
			},
		},
		{
			name:  "empty",
			yTrue: []int{},
			yPred: []int{},
			want: Metrics{
				PerClass:  []ClassMetrics{{Class: "a"}, {Class: "b"}, {Class: "c"}},
				Confusion: [][]int{{0, 0, 0}, {0, 0, 0}, {0, 0, 0}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(tt.yTrue, tt.yPred, classes)
			if diff := cmp.Diff(tt.want, got, approx); diff != "" {
				t.Errorf("Compute(%v, %v) mismatch (-want +got):\n%s", tt.yTrue, tt.yPred, diff)
			}
		})
	}
}

func TestCompute_PanicsOnBadInput(t *testing.T) {
	tests := []struct {
		name         string
		yTrue, yPred []int
	}{
		{"length mismatch", []int{0, 1}, []int{0}},
		{"label out of range", []int{0, 3}, []int{0, 1}},
		{"negative prediction", []int{0, 1}, []int{0, -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Compute(%v, %v) did not panic", tt.yTrue, tt.yPred)
				}
			}()
			Compute(tt.yTrue, tt.yPred, []string{"a", "b"})
		})
	}
}
