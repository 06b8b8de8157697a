package forest

import (
	"context"
	"testing"
)

// BenchmarkFit trains the default forest (100 trees, all cores) on each
// shared data set.
func BenchmarkFit(b *testing.B) {
	for _, name := range []string{"iris", "wine", "breast_cancer"} {
		b.Run(name, func(b *testing.B) {
			d := loadCSV(b, name)
			benchmarkFit(b, d)
		})
	}
}

// BenchmarkFitRows shows how training time grows with the row count on a
// generated set of 10 features and 3 overlapping classes.
func BenchmarkFitRows(b *testing.B) {
	for _, size := range []struct {
		name string
		rows int
	}{{"1k", 1_000}, {"10k", 10_000}, {"100k", 100_000}} {
		b.Run(size.name, func(b *testing.B) {
			benchmarkFit(b, generate(size.rows, 10, 3, 1))
		})
	}
}

func benchmarkFit(b *testing.B, d labeledData) {
	b.ReportAllocs()
	var f *Forest
	for b.Loop() {
		var err error
		f, err = Fit(context.Background(), d.X, d.y, len(d.classes), DefaultParams(), nil)
		if err != nil {
			b.Fatalf("Fit: %v", err)
		}
	}
	b.ReportMetric(float64(f.NumNodes())/float64(f.NumTrees()), "nodes/tree")
}

// BenchmarkPredictProba predicts one Iris row with the default 100-tree
// forest.
func BenchmarkPredictProba(b *testing.B) {
	d := loadCSV(b, "iris")
	f, err := Fit(context.Background(), d.X, d.y, len(d.classes), DefaultParams(), nil)
	if err != nil {
		b.Fatalf("Fit: %v", err)
	}
	out := make([]float64, f.NumClasses())
	row := d.X[75]
	b.ReportAllocs()
	for b.Loop() {
		f.PredictProba(row, out)
	}
}
