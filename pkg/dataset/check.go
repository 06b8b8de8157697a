package dataset

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Status is the outcome of one check.
type Status string

// Check outcomes.
const (
	StatusPass Status = "pass"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
)

// Check names, as they appear in CheckResult.Name.
const (
	CheckClassBalance     = "class_balance"
	CheckConstantColumns  = "constant_columns"
	CheckDuplicateRows    = "duplicate_rows"
	CheckConflictingLabel = "conflicting_labels"
	CheckOutliers         = "outliers"
	CheckTrainTestOverlap = "train_test_overlap"
	checkShape            = "data_shape"
)

// BalanceWarnRatio is the class-size ratio (smallest class over largest)
// below which the class balance check warns.
const BalanceWarnRatio = 1.0 / 3

// maxExamples caps the example rows a CheckResult lists.
const maxExamples = 10

// CheckResult is the outcome of one statistical check.
type CheckResult struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail"` // one line for people, with names and row numbers
	Count  int    `json:"count"`  // rows, columns or groups affected; 0 on pass
	// Rows holds file rows (1-based, header is row 1) of the first
	// affected rows, at most 10.
	Rows    []int          `json:"rows,omitempty"`
	Columns []string       `json:"columns,omitempty"` // affected columns
	Counts  map[string]int `json:"counts,omitempty"`  // per-feature counts, for outliers
}

// Report holds the results of Check in a fixed order.
type Report struct {
	Checks []CheckResult `json:"checks"`
}

// Warnings returns the number of checks with status warn.
func (r Report) Warnings() int { return r.count(StatusWarn) }

// Failures returns the number of checks with status fail.
func (r Report) Failures() int { return r.count(StatusFail) }

func (r Report) count(s Status) int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == s {
			n++
		}
	}
	return n
}

// Check runs the statistical checks on ds before training: class balance,
// constant columns, duplicate rows, conflicting labels and outliers, and,
// when train or test is not nil, rows shared between the train and test
// split (train and test index ds.X). A malformed ds (rows of the wrong
// width, labels outside Classes, split indexes out of range) gives a single
// failed check instead of a panic.
func Check(ds *Dataset, train, test []int) Report {
	if problem := shapeProblem(ds, train, test); problem != "" {
		return Report{Checks: []CheckResult{{Name: checkShape, Status: StatusFail, Detail: problem}}}
	}
	keys := featureKeys(ds.X)
	checks := []CheckResult{
		checkClassBalance(ds),
		checkConstantColumns(ds),
		checkDuplicateRows(ds, keys),
		checkConflictingLabels(ds, keys),
		checkOutliers(ds),
	}
	if train != nil || test != nil {
		checks = append(checks, checkTrainTestOverlap(ds, keys, train, test))
	}
	return Report{Checks: checks}
}

func shapeProblem(ds *Dataset, train, test []int) string {
	if len(ds.Y) != len(ds.X) {
		return fmt.Sprintf("%d feature rows but %d labels", len(ds.X), len(ds.Y))
	}
	for i, row := range ds.X {
		if len(row) != len(ds.Features) {
			return fmt.Sprintf("row %d has %s, want %d features", ds.rowNumber(i), plural(len(row), "value"), len(ds.Features))
		}
		if ds.Y[i] < 0 || ds.Y[i] >= len(ds.Classes) {
			return fmt.Sprintf("row %d has label index %d, want 0 to %d", ds.rowNumber(i), ds.Y[i], len(ds.Classes)-1)
		}
	}
	for _, split := range [][]int{train, test} {
		for _, i := range split {
			if i < 0 || i >= len(ds.X) {
				return fmt.Sprintf("split index %d out of range for %d rows", i, len(ds.X))
			}
		}
	}
	return ""
}

// featureKeys encodes each feature row as a string, so equal rows get equal
// keys. 0 and -0 encode alike.
func featureKeys(x [][]float64) []string {
	keys := make([]string, len(x))
	for i, row := range x {
		buf := make([]byte, 8*len(row))
		for j, v := range row {
			if v == 0 {
				v = 0
			}
			binary.LittleEndian.PutUint64(buf[8*j:], math.Float64bits(v))
		}
		keys[i] = string(buf)
	}
	return keys
}

func checkClassBalance(ds *Dataset) CheckResult {
	r := CheckResult{Name: CheckClassBalance}
	if len(ds.Classes) < 2 {
		r.Status, r.Detail = StatusFail, fmt.Sprintf("%d classes, a classifier needs at least two", len(ds.Classes))
		return r
	}

	counts := make([]int, len(ds.Classes))
	for _, y := range ds.Y {
		counts[y]++
	}
	small, large := 0, 0
	for c, n := range counts {
		if n < counts[small] {
			small = c
		}
		if n > counts[large] {
			large = c
		}
	}

	ratio := 0.0
	if counts[large] > 0 {
		ratio = float64(counts[small]) / float64(counts[large])
	}

	r.Status = StatusPass
	if counts[small] == counts[large] {
		r.Detail = fmt.Sprintf("%d classes of %s each", len(counts), plural(counts[small], "row"))
		return r
	}
	r.Detail = fmt.Sprintf("smallest class %q has %s, largest %q has %d (ratio %.2f",
		ds.Classes[small], plural(counts[small], "row"), ds.Classes[large], counts[large], ratio)
	if ratio < BalanceWarnRatio {
		r.Status, r.Count = StatusWarn, 1
		r.Detail += fmt.Sprintf(", below %.2f), so the model may neglect the small class", BalanceWarnRatio)
		return r
	}
	r.Detail += ")"
	return r
}

func checkConstantColumns(ds *Dataset) CheckResult {
	r := CheckResult{Name: CheckConstantColumns, Status: StatusPass, Detail: "no constant columns"}
	if len(ds.X) == 0 {
		return r
	}
	for j, name := range ds.Features {
		constant := true
		for _, row := range ds.X {
			if row[j] != ds.X[0][j] {
				constant = false
				break
			}
		}
		if constant {
			r.Columns = append(r.Columns, name)
		}
	}
	if len(r.Columns) > 0 {
		r.Status, r.Count = StatusWarn, len(r.Columns)
		r.Detail = fmt.Sprintf("%d of %d features have one value in every row and cannot help a split: %s",
			len(r.Columns), len(ds.Features), quoteList(r.Columns))
	}
	return r
}

// checkDuplicateRows counts rows whose features and label equal an earlier row.
func checkDuplicateRows(ds *Dataset, keys []string) CheckResult {
	r := CheckResult{Name: CheckDuplicateRows, Status: StatusPass, Detail: "no duplicate rows"}
	first := make(map[string]int, len(keys))
	var pairs []string
	for i, key := range keys {
		full := key + strconv.Itoa(ds.Y[i]) // keys have a fixed length, so this is unambiguous
		j, seen := first[full]
		if !seen {
			first[full] = i
			continue
		}
		r.Count++
		if len(r.Rows) < maxExamples {
			r.Rows = append(r.Rows, ds.rowNumber(i))
		}
		if len(pairs) < maxListed {
			pairs = append(pairs, fmt.Sprintf("row %d = row %d", ds.rowNumber(i), ds.rowNumber(j)))
		}
	}
	if r.Count > 0 {
		r.Status = StatusWarn
		r.Detail = fmt.Sprintf("%s equal to an earlier row in features and label: %s%s",
			plural(r.Count, "row"), strings.Join(pairs, ", "), more(r.Count, len(pairs)))
	}
	return r
}

// plural returns "1 row" or "n rows".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// more returns ", ..." when fewer than total items were listed.
func more(total, shown int) string {
	if total > shown {
		return ", ..."
	}
	return ""
}
