package dataset

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// table accumulates parsed rows before the missing-value policy and the
// class checks run. Feature values are stored row after row in one slice,
// with NaN for a missing value.
type table struct {
	names      []string
	label      int   // index of the label column in names
	featCols   []int // indexes of the feature columns in names
	values     []float64
	labels     []int // index into labelNames, -1 when missing
	labelNames []string
	labelIndex map[string]int
	lines      []int
	missing    []missingCell
}

type missingCell struct {
	row    int // index into lines
	line   int
	column string
	value  string
}

func newTable(names []string, label int) *table {
	t := &table{names: names, label: label, labelIndex: make(map[string]int)}
	for i := range names {
		if i != label {
			t.featCols = append(t.featCols, i)
		}
	}
	return t
}

func (t *table) rows() int { return len(t.lines) }

// reserve sizes the slices for an estimated number of rows, so that large
// files are not copied again and again as the slices grow.
func (t *table) reserve(rows int) {
	t.values = make([]float64, 0, rows*len(t.featCols))
	t.labels = make([]int, 0, rows)
	t.lines = make([]int, 0, rows)
}

func (p *parser) parse(text []byte) (*Dataset, error) {
	cr, err := p.newCSVReader(text)
	if err != nil {
		return nil, err
	}
	names, label, err := p.header(cr)
	if err != nil {
		return nil, err
	}
	t := newTable(names, label)
	t.reserve(bytes.Count(text, []byte{'\n'}))
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, p.syntaxError(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a line of spaces
		}
		if len(rec) != len(names) {
			return nil, p.errorf(KindRagged, line, "",
				fmt.Sprintf("check for a missing or extra %q, and quote values that contain one", cr.Comma),
				"has %d fields, the header has %d", len(rec), len(names))
		}
		if err := p.addRow(t, rec, line); err != nil {
			return nil, err
		}
	}
	if t.rows() == 0 {
		return nil, p.errorf(KindHeaderOnly, 0, "", "add data rows below the header",
			"file has a header row but no data rows")
	}

	if err := p.applyMissing(t); err != nil {
		return nil, err
	}
	return p.build(t)
}

func (p *parser) addRow(t *table, rec []string, line int) error {
	row := t.rows()
	for _, col := range t.featCols {
		s := strings.TrimSpace(rec[col])
		if isMissing(s) {
			t.values = append(t.values, math.NaN())
			t.missing = append(t.missing, missingCell{row, line, t.names[col], s})
			continue
		}
		v, err := p.parseNumber(s, line, t.names[col])
		if err != nil {
			return err
		}
		t.values = append(t.values, v)
	}

	name := strings.TrimSpace(rec[t.label])
	if isMissing(name) {
		t.labels = append(t.labels, -1)
		t.missing = append(t.missing, missingCell{row, line, t.names[t.label], name})
	} else {
		idx, ok := t.labelIndex[name]
		if !ok {
			// Clone, because name shares memory with the whole CSV record.
			idx = len(t.labelNames)
			t.labelNames = append(t.labelNames, strings.Clone(name))
			t.labelIndex[t.labelNames[idx]] = idx
		}
		t.labels = append(t.labels, idx)
	}
	t.lines = append(t.lines, line)
	return nil
}

// isMissing reports whether a trimmed field is one of the missing-value
// markers: empty, NA, N/A, NaN or ?, in any case.
func isMissing(s string) bool {
	switch len(s) {
	case 0:
		return true
	case 1:
		return s == "?"
	case 2:
		return strings.EqualFold(s, "NA")
	case 3:
		return strings.EqualFold(s, "N/A") || strings.EqualFold(s, "NaN")
	}
	return false
}

// MaxAbsValue bounds feature values. Squaring a difference of two larger values
// overflows float64, so the standard deviation and the impurity sums would turn
// infinite. No measured quantity comes near it.
const MaxAbsValue = 1e150

func (p *parser) parseNumber(s string, line int, column string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err == nil && !math.IsInf(v, 0) && !math.IsNaN(v) {
		if math.Abs(v) > MaxAbsValue {
			return 0, p.errorf(KindNonNumeric, line, column, "rescale the column",
				"value %q is beyond ±%g, the largest magnitude supported", s, MaxAbsValue)
		}
		return v, nil
	}
	if err == nil {
		return 0, p.errorf(KindNonNumeric, line, column, "feature values must be finite numbers",
			"value %q is not a finite number", s)
	}
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		return 0, p.errorf(KindNonNumeric, line, column, "",
			"value %q is out of range for a 64-bit float", s)
	}
	return 0, p.errorf(KindNonNumeric, line, column, p.nonNumericHint(s, column),
		"value %q is not a number", s)
}

func (p *parser) nonNumericHint(s, column string) string {
	if _, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64); err == nil {
		return "write decimals with a dot, not a comma"
	}
	if p.opts.Label == "" {
		return fmt.Sprintf("feature columns must be numeric, and if %q is the label, select it with --label %q",
			column, column)
	}
	return "feature columns must be numeric, so encode categories as numbers or remove the column"
}
