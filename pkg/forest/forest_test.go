package forest

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

func fitOrFatal(tb testing.TB, d labeledData, p Params) *Forest {
	tb.Helper()
	f, err := Fit(context.Background(), d.X, d.y, len(d.classes), p, nil)
	if err != nil {
		tb.Fatalf("Fit: %v", err)
	}
	return f
}

func marshalOrFatal(tb testing.TB, f *Forest) []byte {
	tb.Helper()
	b, err := f.MarshalBinary()
	if err != nil {
		tb.Fatalf("MarshalBinary: %v", err)
	}
	return b
}

func TestFit_SameBytesForAnyWorkerCount(t *testing.T) {
	for _, name := range []string{"iris", "breast_cancer"} {
		t.Run(name, func(t *testing.T) {
			d := loadCSV(t, name)
			p := DefaultParams()
			p.Seed = 42
			p.Workers = 1
			want := marshalOrFatal(t, fitOrFatal(t, d, p))
			for _, workers := range []int{1, 2, 4, 7} {
				p.Workers = workers
				got := marshalOrFatal(t, fitOrFatal(t, d, p))
				if !bytes.Equal(got, want) {
					t.Errorf("Workers=%d: model bytes differ from Workers=1 (%d vs %d bytes)",
						workers, len(got), len(want))
				}
			}
		})
	}
}

func TestFit_SeedChangesModel(t *testing.T) {
	d := loadCSV(t, "iris")
	p := DefaultParams()
	p.Seed = 1
	first := marshalOrFatal(t, fitOrFatal(t, d, p))
	p.Seed = 2
	second := marshalOrFatal(t, fitOrFatal(t, d, p))
	if bytes.Equal(first, second) {
		t.Error("seeds 1 and 2 gave identical models")
	}
}

func TestFit_OOBScore(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi float64
	}{
		{"iris", 0.90, 1},
		{"wine", 0.93, 1},
		{"breast_cancer", 0.92, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fitOrFatal(t, loadCSV(t, tt.name), DefaultParams())
			if got := f.OOBScore(); !(got >= tt.lo && got <= tt.hi) {
				t.Errorf("OOBScore() = %v, want between %v and %v", got, tt.lo, tt.hi)
			}
		})
	}
}

func TestFit_OOBScoreNaNWhenNoRowLeftOut(t *testing.T) {
	// With one row, every bootstrap sample contains it.
	f, err := Fit(context.Background(), [][]float64{{1, 2}}, []int{0}, 2, DefaultParams(), nil)
	if err != nil {
		t.Fatalf("Fit: %v", err)
	}
	if got := f.OOBScore(); !math.IsNaN(got) {
		t.Errorf("OOBScore() = %v, want NaN", got)
	}
}

func TestFit_Progress(t *testing.T) {
	d := loadCSV(t, "iris")
	p := DefaultParams()
	p.Trees = 25
	var calls []int
	_, err := Fit(context.Background(), d.X, d.y, len(d.classes), p, func(done, total int) {
		if total != p.Trees {
			t.Errorf("progress total = %d, want %d", total, p.Trees)
		}
		calls = append(calls, done)
	})
	if err != nil {
		t.Fatalf("Fit: %v", err)
	}
	if len(calls) != p.Trees {
		t.Fatalf("progress called %d times, want %d", len(calls), p.Trees)
	}
	for i, done := range calls {
		if done != i+1 {
			t.Errorf("progress call %d reported done = %d, want %d", i, done, i+1)
		}
	}
}

func TestFit_Cancel(t *testing.T) {
	d := generate(5000, 10, 3, 1)

	t.Run("before start", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Fit(ctx, d.X, d.y, len(d.classes), DefaultParams(), nil)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Fit error = %v, want context.Canceled", err)
		}
	})

	t.Run("during training", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		calls := 0
		_, err := Fit(ctx, d.X, d.y, len(d.classes), DefaultParams(), func(done, total int) {
			calls++
			if done == 3 {
				cancel()
			}
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Fit error = %v, want context.Canceled", err)
		}
		if calls != 3 {
			t.Errorf("progress called %d times, want 3 (none after cancel)", calls)
		}
	})
}

func TestFit_RejectsBadParams(t *testing.T) {
	d := loadCSV(t, "iris")
	tests := []struct {
		name   string
		modify func(*Params)
		want   string
	}{
		{"zero trees", func(p *Params) { p.Trees = 0 }, "invalid tree count 0"},
		{"negative trees", func(p *Params) { p.Trees = -3 }, "invalid tree count -3"},
		{"negative depth", func(p *Params) { p.MaxDepth = -1 }, "invalid max depth -1"},
		{"zero min leaf", func(p *Params) { p.MinSamplesLeaf = 0 }, "invalid min samples per leaf 0"},
		{"negative max features", func(p *Params) { p.MaxFeatures = -2 }, "invalid max features -2"},
		{"too many max features", func(p *Params) { p.MaxFeatures = 5 }, "only 4 features"},
		{"negative workers", func(p *Params) { p.Workers = -1 }, "invalid worker count -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultParams()
			tt.modify(&p)
			_, err := Fit(context.Background(), d.X, d.y, len(d.classes), p, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Fit error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestFit_RejectsBadData(t *testing.T) {
	tests := []struct {
		name       string
		X          [][]float64
		y          []int
		numClasses int
		want       string
	}{
		{"no rows", nil, nil, 2, "no training rows"},
		{"label count", [][]float64{{1}, {2}}, []int{0}, 2, "got 1 labels for 2 rows"},
		{"no features", [][]float64{{}, {}}, []int{0, 1}, 2, "row 0 has no features"},
		{"ragged row", [][]float64{{1, 2}, {3}}, []int{0, 1}, 2, "row 1 has 1 features, expected 2"},
		{"NaN", [][]float64{{1, 2}, {3, math.NaN()}}, []int{0, 1}, 2, "row 1 feature 1 is NaN"},
		{"infinity", [][]float64{{math.Inf(1), 2}, {3, 4}}, []int{0, 1}, 2, "row 0 feature 0 is +Inf"},
		{"label too large", [][]float64{{1}, {2}}, []int{0, 2}, 2, "row 1 has label 2, expected 0 to 1"},
		{"negative label", [][]float64{{1}, {2}}, []int{-1, 0}, 2, "row 0 has label -1"},
		{"no classes", [][]float64{{1}, {2}}, []int{0, 0}, 0, "invalid class count 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Fit(context.Background(), tt.X, tt.y, tt.numClasses, DefaultParams(), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Fit error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestPredictProba_Consistency(t *testing.T) {
	d := loadCSV(t, "wine")
	f := fitOrFatal(t, d, DefaultParams())
	probs := make([]float64, f.NumClasses())
	correct := 0
	for i, row := range d.X {
		f.PredictProba(row, probs)
		sum := 0.0
		for _, p := range probs {
			sum += p
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("row %d: probabilities %v sum to %v, want 1", i, probs, sum)
		}
		if got, want := f.Predict(row), argmax(probs); got != want {
			t.Errorf("row %d: Predict = %d, want argmax of %v = %d", i, got, probs, want)
		}
		if f.Predict(row) == d.y[i] {
			correct++
		}
	}
	// Fully grown trees fit their training data almost perfectly.
	if acc := float64(correct) / float64(len(d.y)); acc < 0.99 {
		t.Errorf("training accuracy = %.3f, want at least 0.99", acc)
	}
}

func TestFit_MaxDepthLimitsTrees(t *testing.T) {
	d := loadCSV(t, "iris")
	for _, depth := range []int{1, 2, 3} {
		p := DefaultParams()
		p.MaxDepth = depth
		f := fitOrFatal(t, d, p)
		for tr := range f.NumTrees() {
			if got := f.treeDepth(f.roots[tr]); got > depth {
				t.Errorf("MaxDepth=%d: tree %d has depth %d", depth, tr, got)
			}
		}
	}
}

// treeDepth returns the depth of the subtree at node, 0 for a leaf.
func (f *Forest) treeDepth(node int32) int {
	if f.feature[node] < 0 {
		return 0
	}
	return 1 + max(f.treeDepth(f.left[node]), f.treeDepth(f.right[node]))
}

func TestFit_MinSamplesLeaf(t *testing.T) {
	d := loadCSV(t, "breast_cancer")
	p := DefaultParams()
	p.Trees = 20
	p.MinSamplesLeaf = 7
	f := fitOrFatal(t, d, p)
	// Each leaf holds at least 7 distinct in-bag rows, and those rows all
	// reach it, so at least 7 training rows reach every leaf.
	for tr, root := range f.roots {
		reached := map[int32]int{}
		for _, row := range d.X {
			reached[f.leaf(root, row)]++
		}
		end := int32(f.NumNodes())
		if tr+1 < len(f.roots) {
			end = f.roots[tr+1]
		}
		for n := root; n < end; n++ {
			if f.feature[n] < 0 && reached[n] < p.MinSamplesLeaf {
				t.Errorf("tree %d leaf %d is reached by %d training rows, want at least %d",
					tr, n, reached[n], p.MinSamplesLeaf)
			}
		}
	}
}

func TestFit_ConstantFeaturesGiveClassShares(t *testing.T) {
	X := [][]float64{{1, 5}, {1, 5}, {1, 5}, {1, 5}}
	y := []int{0, 1, 1, 1}
	p := DefaultParams()
	p.Trees = 200
	f, err := Fit(context.Background(), X, y, 2, p, nil)
	if err != nil {
		t.Fatalf("Fit: %v", err)
	}
	if f.NumNodes() != f.NumTrees() {
		t.Errorf("NumNodes() = %d, want one leaf per tree (%d)", f.NumNodes(), f.NumTrees())
	}
	probs := make([]float64, 2)
	f.PredictProba([]float64{1, 5}, probs)
	// Each tree predicts the class shares of its bootstrap sample, which
	// average to about the shares of the data, 0.25 and 0.75.
	if math.Abs(probs[1]-0.75) > 0.05 {
		t.Errorf("PredictProba = %v, want class 1 near 0.75", probs)
	}
}

func TestFit_SeparableData(t *testing.T) {
	X := [][]float64{{0, 10}, {1, 11}, {2, 12}, {10, 0}, {11, 1}, {12, 2}}
	y := []int{0, 0, 0, 1, 1, 1}
	f, err := Fit(context.Background(), X, y, 2, DefaultParams(), nil)
	if err != nil {
		t.Fatalf("Fit: %v", err)
	}
	tests := []struct {
		row  []float64
		want int
	}{
		{[]float64{0.5, 10.5}, 0},
		{[]float64{-100, 100}, 0},
		{[]float64{11.5, 0.5}, 1},
		{[]float64{100, -100}, 1},
	}
	for _, tt := range tests {
		if got := f.Predict(tt.row); got != tt.want {
			t.Errorf("Predict(%v) = %d, want %d", tt.row, got, tt.want)
		}
	}
}

func TestPredictProba_PanicsOnWrongLength(t *testing.T) {
	f := fitOrFatal(t, loadCSV(t, "iris"), DefaultParams())
	defer func() {
		if recover() == nil {
			t.Error("PredictProba with 3 features did not panic")
		}
	}()
	f.PredictProba([]float64{1, 2, 3}, make([]float64, 3))
}

func TestPredict_MoreClassesThanStackBuffer(t *testing.T) {
	// Predict keeps up to 16 class probabilities on the stack and
	// allocates beyond that, so 20 classes take the second path.
	const classes = 20
	var X [][]float64
	var y []int
	for c := range classes {
		for i := range 5 {
			X = append(X, []float64{float64(10*c + i%2), float64(i)})
			y = append(y, c)
		}
	}
	p := DefaultParams()
	p.MaxFeatures = 2
	f, err := Fit(context.Background(), X, y, classes, p, nil)
	if err != nil {
		t.Fatalf("Fit: %v", err)
	}
	for c := range classes {
		if got := f.Predict([]float64{float64(10 * c), 2}); got != c {
			t.Errorf("Predict(row of class %d) = %d", c, got)
		}
	}
}
