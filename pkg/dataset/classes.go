package dataset

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// maxListed caps how many classes or rows one message lists.
const maxListed = 5

// MaxClasses caps the classes of a label column. Every leaf of the forest stores one
// probability per class, so memory and model size grow with rows times classes: 3,000
// classes of 2 rows each took 1.4 GB to train. A label with this many values is
// usually an id or a continuous target rather than a class.
const MaxClasses = 256

// build checks the classes of t and assembles the Dataset.
func (p *parser) build(t *table) (*Dataset, error) {
	classes, remap := sortClasses(t)
	labelName := t.names[t.label]
	if len(classes) < 2 {
		hint := "the label is the last column unless --label names another"
		if p.opts.Label != "" {
			hint = "check that --label names the class column"
		}
		return nil, p.errorf(KindSingleClass, 0, labelName, hint,
			"has only one class %q, a classifier needs at least two", classes[0])
	}

	if len(classes) > MaxClasses {
		return nil, p.errorf(KindTooManyClasses, 0, labelName,
			"check that the label column holds classes, not ids or measurements",
			"has %d distinct classes, more than the %d a classifier here supports", len(classes), MaxClasses)
	}

	y := make([]int, len(t.labels))
	counts := make([]int, len(classes))
	firstRow := make([]int, len(classes))
	for i, l := range t.labels {
		y[i] = remap[l]
		if counts[y[i]] == 0 {
			firstRow[y[i]] = t.lines[i]
		}
		counts[y[i]]++
	}
	if err := p.checkClassSizes(labelName, classes, counts, firstRow, len(y)); err != nil {
		return nil, err
	}

	width := len(t.featCols)
	x := make([][]float64, len(y))
	for i := range x {
		x[i] = t.values[i*width : (i+1)*width : (i+1)*width]
	}
	features := make([]string, width)
	for j, col := range t.featCols {
		features[j] = t.names[col]
	}
	return &Dataset{
		Features:   features,
		Label:      labelName,
		Classes:    classes,
		X:          x,
		Y:          y,
		RowNumbers: t.lines,
		Dropped:    p.dropped,
		Imputed:    p.imputed,
	}, nil
}

// sortClasses returns the class names present in t.labels, sorted, and a map
// from t's label indexes to indexes into the sorted list. Names sort by
// numeric value when all of them are numbers, so "2" comes before "10".
func sortClasses(t *table) ([]string, []int) {
	present := make([]bool, len(t.labelNames))
	for _, l := range t.labels {
		present[l] = true
	}
	var order []int
	for i, ok := range present {
		if ok {
			order = append(order, i)
		}
	}

	numbers := make([]float64, len(t.labelNames))
	numeric := true
	for _, i := range order {
		v, err := strconv.ParseFloat(t.labelNames[i], 64)
		numeric = numeric && err == nil
		numbers[i] = v
	}
	slices.SortFunc(order, func(a, b int) int {
		if numeric {
			if c := cmp.Compare(numbers[a], numbers[b]); c != 0 {
				return c
			}
		}
		return strings.Compare(t.labelNames[a], t.labelNames[b])
	})

	classes := make([]string, len(order))
	remap := make([]int, len(t.labelNames))
	for to, from := range order {
		classes[to] = t.labelNames[from]
		remap[from] = to
	}
	return classes, remap
}

// checkClassSizes rejects classes with a single row: a stratified split
// needs at least one row of each class on both sides.
func (p *parser) checkClassSizes(labelName string, classes []string, counts, firstRow []int, rows int) error {
	var small []string
	for c, n := range counts {
		if n < 2 {
			small = append(small, fmt.Sprintf("%q (row %d)", classes[c], firstRow[c]))
		}
	}
	if len(small) == 0 {
		return nil
	}
	hint := "add rows of that class or remove it, a stratified split needs at least two rows per class"
	if len(small) > maxListed && len(small) > rows/2 {
		hint = "the label column looks like a continuous value, and mlops trains classifiers only"
	}
	if len(small) == 1 {
		return p.errorf(KindSmallClass, 0, labelName, hint, "class %s has only 1 row", small[0])
	}
	listed := strings.Join(small[:min(len(small), maxListed)], ", ")
	if len(small) > maxListed {
		listed += fmt.Sprintf(" and %d more", len(small)-maxListed)
	}
	return p.errorf(KindSmallClass, 0, labelName, hint, "classes %s have only 1 row each", listed)
}
