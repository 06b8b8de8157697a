package dataset

import (
	"fmt"
	"math"
)

// applyMissing handles the missing values in t according to p.opts.Missing.
func (p *parser) applyMissing(t *table) error {
	if len(t.missing) == 0 {
		return nil
	}
	switch p.opts.Missing {
	case MissingDrop:
		return p.dropMissing(t)
	case MissingMean:
		return p.imputeMean(t)
	}
	first := t.missing[0]
	total := ""
	if len(t.missing) > 1 {
		total = fmt.Sprintf(" (first of %d missing values)", len(t.missing))
	}
	return p.errorf(KindMissingValue, first.line, first.column,
		"fill it in, or drop or impute missing values with --missing drop or --missing mean",
		"%s%s", describeMissing(first.value), total)
}

func describeMissing(value string) string {
	if value == "" {
		return "empty value"
	}
	return fmt.Sprintf("missing value %q", value)
}

// dropMissing removes every row with a missing feature or label.
func (p *parser) dropMissing(t *table) error {
	drop := make([]bool, t.rows())
	for _, m := range t.missing {
		drop[m.row] = true
	}
	width := len(t.featCols)
	kept := 0
	for i := range t.lines {
		if drop[i] {
			continue
		}
		copy(t.values[kept*width:(kept+1)*width], t.values[i*width:(i+1)*width])
		t.labels[kept] = t.labels[i]
		t.lines[kept] = t.lines[i]
		kept++
	}
	dropped := t.rows() - kept
	t.values = t.values[:kept*width]
	t.labels = t.labels[:kept]
	t.lines = t.lines[:kept]
	t.missing = nil
	p.dropped = dropped
	if kept == 0 {
		return p.errorf(KindNoRowsAfterDrops, 0, "", "fill in the missing values, or impute them with --missing mean",
			"every one of the %d data rows has a missing value, so none is left after dropping them", dropped)
	}
	return nil
}

// imputeMean replaces each missing feature value with the mean of the
// column's present values. A missing label cannot be imputed.
func (p *parser) imputeMean(t *table) error {
	for _, m := range t.missing {
		if t.labels[m.row] < 0 {
			return p.errorf(KindMissingValue, m.line, t.names[t.label],
				"fill in the label, or pass --missing drop to drop such rows",
				"%s in the label column, which cannot be imputed", describeMissing(m.value))
		}
	}
	width := len(t.featCols)
	for j, col := range t.featCols {
		sum, n := 0.0, 0
		for i := j; i < len(t.values); i += width {
			if !math.IsNaN(t.values[i]) {
				sum += t.values[i]
				n++
			}
		}
		if n == 0 {
			return p.errorf(KindMissingValue, 0, t.names[col], "fill in the column or remove it",
				"every value is missing, so there is no mean to impute")
		}
		mean := sum / float64(n)
		for i := j; i < len(t.values); i += width {
			if math.IsNaN(t.values[i]) {
				t.values[i] = mean
				p.imputed++
			}
		}
	}
	t.missing = nil
	return nil
}
