package monitor

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mlops-dev/mlops/pkg/dataset"
)

// normalData draws rows whose feature j is normal with mean means[j] and
// standard deviation stds[j].
func normalData(rng *rand.Rand, rows int, means, stds []float64) [][]float64 {
	out := make([][]float64, rows)
	for i := range out {
		out[i] = make([]float64, len(means))
		for j := range means {
			out[i][j] = means[j] + stds[j]*rng.NormFloat64()
		}
	}
	return out
}

func statsOf(features []string, x [][]float64) []dataset.FeatureStats {
	return dataset.Stats(&dataset.Dataset{Features: features, X: x})
}

func driftedNames(r DriftReport) []string {
	var out []string
	for _, f := range r.Features {
		if f.Drifted {
			out = append(out, f.Name)
		}
	}
	return out
}

func TestDrift_ShiftOnOneFeature(t *testing.T) {
	features := []string{"a", "b", "c", "d"}
	means := []float64{0, 10, -5, 100}
	stds := []float64{1, 2, 0.5, 20}
	rng := rand.New(rand.NewPCG(1, 2))
	d := NewDrift(statsOf(features, normalData(rng, 5000, means, stds)), DriftConfig{})

	for _, row := range normalData(rng, DefaultDriftWindow, means, stds) {
		d.Observe(row)
	}
	r := d.Report()
	if !r.Ready || r.Samples != DefaultDriftWindow {
		t.Fatalf("Report() Ready = %v, Samples = %d; want ready with %d samples", r.Ready, r.Samples, DefaultDriftWindow)
	}
	if r.Drifted != 0 {
		t.Errorf("training distribution: %d drifted features %v, want none; report %+v", r.Drifted, driftedNames(r), r.Features)
	}
	for _, f := range r.Features {
		if f.PSI > 0.05 {
			t.Errorf("training distribution: PSI of %s = %.4f, want below 0.05", f.Name, f.PSI)
		}
	}

	// Shift feature c by one training standard deviation.
	for _, row := range normalData(rng, DefaultDriftWindow, means, stds) {
		row[2] += stds[2]
		d.Observe(row)
	}
	r = d.Report()
	if got := driftedNames(r); len(got) != 1 || got[0] != "c" || r.Drifted != 1 {
		t.Errorf("shifted c: drifted = %v (count %d), want exactly [c]; report %+v", got, r.Drifted, r.Features)
	}

	// The window rolls: a window of normal inputs clears the drift.
	for _, row := range normalData(rng, DefaultDriftWindow, means, stds) {
		d.Observe(row)
	}
	if r := d.Report(); r.Drifted != 0 {
		t.Errorf("after a window of normal inputs: drifted = %v, want none", driftedNames(r))
	}
}

// TestDrift_Iris uses the built-in Iris data, whose one-decimal values
// make many tied deciles, to check that merged bins do not raise false
// alarms.
func TestDrift_Iris(t *testing.T) {
	iris := dataset.Iris()
	d := NewDrift(dataset.Stats(iris), DriftConfig{})
	rng := rand.New(rand.NewPCG(3, 4))
	row := make([]float64, len(iris.Features))
	sample := func(shift int, by float64) {
		for range DefaultDriftWindow {
			copy(row, iris.X[rng.IntN(len(iris.X))])
			if shift >= 0 {
				row[shift] += by
			}
			d.Observe(row)
		}
	}

	sample(-1, 0)
	r := d.Report()
	if r.Drifted != 0 {
		t.Errorf("resampled Iris rows: drifted = %v, want none; report %+v", driftedNames(r), r.Features)
	}
	for _, f := range r.Features {
		t.Logf("resampled Iris: PSI %s = %.4f", f.Name, f.PSI)
	}

	petalLength := 2
	sample(petalLength, 1.5)
	r = d.Report()
	if got := driftedNames(r); len(got) != 1 || got[0] != iris.Features[petalLength] {
		t.Errorf("petal_length + 1.5: drifted = %v, want exactly [%s]; report %+v", got, iris.Features[petalLength], r.Features)
	}
}

func TestDrift_NotReadyBeforeMinSamples(t *testing.T) {
	stats := []dataset.FeatureStats{{Name: "x", Quantiles: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}}}
	d := NewDrift(stats, DriftConfig{Window: 100, MinSamples: 50})
	for range 49 {
		d.Observe([]float64{1000}) // far out, would be drift
	}
	r := d.Report()
	if r.Ready || r.Drifted != 0 || r.Features[0].PSI != 0 {
		t.Errorf("after 49 of 50 samples: Ready %v, Drifted %d, PSI %g; want not ready and nothing reported",
			r.Ready, r.Drifted, r.Features[0].PSI)
	}
	d.Observe([]float64{1000})
	r = d.Report()
	if !r.Ready || r.Drifted != 1 {
		t.Errorf("after 50 samples: Ready %v, Drifted %d; want ready with x drifted", r.Ready, r.Drifted)
	}
	// All inputs in one bin of share 0.1, the others at epsilon.
	want := (1-0.1)*math.Log(1/0.1) + 9*(psiEpsilon-0.1)*math.Log(psiEpsilon/0.1)
	if got := r.Features[0].PSI; math.Abs(got-want) > 1e-9 {
		t.Errorf("PSI = %.6f, want %.6f", got, want)
	}
}

func TestDrift_IgnoresBadRowsAndMissingQuantiles(t *testing.T) {
	stats := []dataset.FeatureStats{
		{Name: "x", Quantiles: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{Name: "empty"},
	}
	d := NewDrift(stats, DriftConfig{Window: 10, MinSamples: 1})
	d.Observe([]float64{1})       // wrong length
	d.Observe([]float64{1, 2, 3}) // wrong length
	if r := d.Report(); r.Samples != 0 {
		t.Errorf("Samples after rows of the wrong length = %d, want 0", r.Samples)
	}
	d.Observe([]float64{5, 5})
	r := d.Report()
	if r.Samples != 1 || !r.Features[0].Available || r.Features[1].Available || r.Features[1].Drifted {
		t.Errorf("Report() = %+v, want 1 sample, x available, empty unavailable and not drifted", r)
	}
}

func TestFeatureBins_TiedQuantiles(t *testing.T) {
	tests := []struct {
		name      string
		quantiles []float64
		edges     []float64
		expected  []float64
	}{
		{"distinct", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9},
			[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9}, []float64{.1, .1, .1, .1, .1, .1, .1, .1, .1, .1}},
		{"ties at the bottom", []float64{0.2, 0.2, 0.2, 1, 1.3, 1.5, 1.8, 1.9, 2.2},
			[]float64{0.2, 1, 1.3, 1.5, 1.8, 1.9, 2.2}, []float64{.3, .1, .1, .1, .1, .1, .1, .1}},
		{"ties in the middle", []float64{1, 2, 3, 3, 3, 6, 7, 8, 9},
			[]float64{1, 2, 3, 6, 7, 8, 9}, []float64{.1, .1, .3, .1, .1, .1, .1, .1}},
		{"constant feature", []float64{4, 4, 4, 4, 4, 4, 4, 4, 4},
			[]float64{4}, []float64{.9, .1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb := newFeatureBins(dataset.FeatureStats{Name: "x", Quantiles: tt.quantiles})
			if !closeAll(fb.edges, tt.edges) {
				t.Errorf("edges = %v, want %v", fb.edges, tt.edges)
			}
			if !closeAll(fb.expected, tt.expected) {
				t.Errorf("expected shares = %v, want %v", fb.expected, tt.expected)
			}
			sum := 0.0
			for _, e := range fb.expected {
				sum += e
			}
			if math.Abs(sum-1) > 1e-12 {
				t.Errorf("expected shares sum to %g, want 1", sum)
			}
		})
	}
}

func TestFeatureBins_Bin(t *testing.T) {
	fb := newFeatureBins(dataset.FeatureStats{Quantiles: []float64{1, 2, 2, 3}})
	for _, tt := range []struct {
		v    float64
		want uint8
	}{{-5, 0}, {1, 0}, {1.5, 1}, {2, 1}, {2.5, 2}, {3, 2}, {3.1, 3}, {math.Inf(1), 3}} {
		if got := fb.bin(tt.v); got != tt.want {
			t.Errorf("bin(%g) with edges %v = %d, want %d", tt.v, fb.edges, got, tt.want)
		}
	}
}

func closeAll(got, want []float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			return false
		}
	}
	return true
}

func BenchmarkDriftObserve(b *testing.B) {
	iris := dataset.Iris()
	d := NewDrift(dataset.Stats(iris), DriftConfig{})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		d.Observe(iris.X[i%len(iris.X)])
	}
}

func BenchmarkDriftObserveParallel(b *testing.B) {
	iris := dataset.Iris()
	d := NewDrift(dataset.Stats(iris), DriftConfig{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			d.Observe(iris.X[i%len(iris.X)])
			i++
		}
	})
}

func BenchmarkDriftReport(b *testing.B) {
	iris := dataset.Iris()
	d := NewDrift(dataset.Stats(iris), DriftConfig{})
	for _, row := range iris.X {
		d.Observe(row)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = d.Report()
	}
}
