package dataset

import (
	"math"
	"slices"
)

// FeatureStats summarises one feature column of the training data. The
// server validates inputs against it and drift detection compares deciles.
type FeatureStats struct {
	Name string  `json:"name"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
	// Std is the population standard deviation (divisor n, not n-1).
	Std float64 `json:"std"`
	// Quantiles holds the deciles q10, q20, ..., q90, interpolated linearly
	// between order statistics (position (n-1)·p in the sorted values, the
	// "linear" method that numpy.quantile uses by default).
	Quantiles []float64 `json:"quantiles"`
}

// Stats computes FeatureStats for every feature of ds. For a data set
// without rows every value is 0 and Quantiles is nil, so the result always
// encodes as JSON (which has no NaN).
func Stats(ds *Dataset) []FeatureStats {
	out := make([]FeatureStats, len(ds.Features))
	column := make([]float64, len(ds.X))
	for j, name := range ds.Features {
		for i, row := range ds.X {
			column[i] = row[j]
		}
		out[j] = columnStats(name, column)
	}
	return out
}

func columnStats(name string, values []float64) FeatureStats {
	s := FeatureStats{Name: name}
	if len(values) == 0 {
		return s
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	s.Min, s.Max = sorted[0], sorted[len(sorted)-1]

	sum := 0.0
	for _, v := range values {
		sum += v
	}
	s.Mean = sum / float64(len(values))
	// Two passes: summing squared deviations from the mean avoids the
	// cancellation of the sum-of-squares formula.
	squares := 0.0
	for _, v := range values {
		squares += (v - s.Mean) * (v - s.Mean)
	}
	s.Std = math.Sqrt(squares / float64(len(values)))

	s.Quantiles = make([]float64, 9)
	for k := range s.Quantiles {
		s.Quantiles[k] = quantile(sorted, float64(k+1)/10)
	}
	return s
}

// quantile returns the p-quantile of sorted values, interpolating linearly
// between the order statistics around position (n-1)·p.
func quantile(sorted []float64, p float64) float64 {
	h := float64(len(sorted)-1) * p
	lo := int(math.Floor(h))
	if lo+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}
