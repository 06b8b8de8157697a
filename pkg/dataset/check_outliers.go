package dataset

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Outlier rule parameters. The check uses the modified z-score of Iglewicz
// and Hoaglin, 0.6745·(x - median) / MAD, with their usual cut-off 3.5. When the MAD is 0 (more than half the values are
// equal) the check falls back to Tukey's fences: below Q1 - 1.5·IQR or above
// Q3 + 1.5·IQR.
const (
	RobustZLimit = 3.5
	madScale     = 0.6745
	iqrFactor    = 1.5
)

// checkOutliers counts, per feature, the values that lie far from the bulk
// of the column. It warns rather than fails because outliers may be valid
// data, and tree splits depend only on the order of values, so a random
// forest is little affected by them.
func checkOutliers(ds *Dataset) CheckResult {
	r := CheckResult{Name: CheckOutliers, Status: StatusPass}
	column := make([]float64, len(ds.X))
	var parts []outlierPart
	var skipped []string
	for j, name := range ds.Features {
		for i, row := range ds.X {
			column[i] = row[j]
		}
		isOutlier, rule := outlierRule(column)
		if isOutlier == nil {
			skipped = append(skipped, name)
			continue
		}
		var rows []int
		for i, v := range column {
			if isOutlier(v) {
				rows = append(rows, ds.rowNumber(i))
			}
		}
		if len(rows) == 0 {
			continue
		}
		if r.Counts == nil {
			r.Counts = make(map[string]int)
		}
		r.Counts[name] = len(rows)
		r.Count += len(rows)
		r.Columns = append(r.Columns, name)
		for _, row := range rows {
			if len(r.Rows) < maxExamples {
				r.Rows = append(r.Rows, row)
			}
		}
		parts = append(parts, outlierPart{name, len(rows), rule})
	}

	r.Detail = fmt.Sprintf("every value within |robust z| <= %.1f", RobustZLimit)
	if r.Count > 0 {
		r.Status = StatusWarn
		r.Detail = fmt.Sprintf("%s outside |robust z| <= %.1f in %d of %d features: %s",
			plural(r.Count, "value"), RobustZLimit, len(parts), len(ds.Features), describeOutliers(parts))
	}
	if len(skipped) > 0 {
		r.Detail += fmt.Sprintf("; not checked, because MAD and IQR are 0: %s", quoteList(skipped))
	}
	return r
}

// outlierRule returns a test for outlying values of column and, for the
// IQR fallback, the rule's name. It returns nil when neither the MAD nor the IQR gives a scale (almost all
// values equal). With no scale, every value off the majority would count
// as an outlier, which is no help on a mostly-zero column.
func outlierRule(column []float64) (func(float64) bool, string) {
	if len(column) == 0 {
		return nil, ""
	}
	sorted := slices.Clone(column)
	slices.Sort(sorted)
	median := quantile(sorted, 0.5)
	deviations := make([]float64, len(sorted))
	for i, v := range sorted {
		deviations[i] = math.Abs(v - median)
	}
	slices.Sort(deviations)
	mad := quantile(deviations, 0.5)
	if mad > 0 {
		return func(v float64) bool {
			return math.Abs(madScale*(v-median)/mad) > RobustZLimit
		}, ""
	}

	q1, q3 := quantile(sorted, 0.25), quantile(sorted, 0.75)
	iqr := q3 - q1
	if iqr == 0 {
		return nil, ""
	}
	low, high := q1-iqrFactor*iqr, q3+iqrFactor*iqr
	return func(v float64) bool { return v < low || v > high }, "IQR rule, MAD is 0"
}

type outlierPart struct {
	feature string
	count   int
	rule    string
}

// describeOutliers lists the features with the most outliers first, at
// most maxListed of them.
func describeOutliers(parts []outlierPart) string {
	slices.SortStableFunc(parts, func(a, b outlierPart) int { return b.count - a.count })
	listed := make([]string, 0, maxListed)
	for _, p := range parts[:min(len(parts), maxListed)] {
		item := fmt.Sprintf("%q %d", p.feature, p.count)
		if p.rule != "" {
			item += " (" + p.rule + ")"
		}
		listed = append(listed, item)
	}
	s := strings.Join(listed, ", ")
	if len(parts) > maxListed {
		s += fmt.Sprintf(" and %s", plural(len(parts)-maxListed, "more feature"))
	}
	return s
}
