// Package dataset reads labelled tabular data from CSV, computes per-feature
// statistics and runs statistical checks on the data before training.
//
// It owns parsing and validation only: it prints nothing, and callers render
// the Report and map *Error values to exit codes.
package dataset

import (
	"bytes"
	_ "embed"
	"fmt"
	"slices"
	"sync"
)

// MissingPolicy is the treatment Read applies to missing values.
type MissingPolicy string

// Missing-value policies.
const (
	MissingError MissingPolicy = "error" // reject the file, naming the first missing value
	MissingDrop  MissingPolicy = "drop"  // drop every row with a missing value
	MissingMean  MissingPolicy = "mean"  // replace a missing feature value with its column mean
)

// ParseMissingPolicy converts a policy name to a MissingPolicy. The empty
// string means MissingError.
func ParseMissingPolicy(s string) (MissingPolicy, error) {
	switch p := MissingPolicy(s); p {
	case "":
		return MissingError, nil
	case MissingError, MissingDrop, MissingMean:
		return p, nil
	}
	return "", fmt.Errorf("invalid missing-value policy %q (valid: error, drop, mean)", s)
}

// ReadOptions configures Read.
type ReadOptions struct {
	Label     string        // name of the label column; "" means the last column
	Delimiter rune          // field separator; 0 detects ',', ';' or tab from the header
	Missing   MissingPolicy // "" means MissingError
	Source    string        // name used in error messages; ReadFile sets the path
}

// Dataset is a labelled table of numeric features.
type Dataset struct {
	Source   string
	Features []string // feature column names, in file order without the label
	Label    string   // label column name
	// Classes holds the distinct labels, sorted numerically when every label
	// is a number and as strings otherwise.
	Classes []string
	X       [][]float64 // X[i][j] is feature j of row i
	Y       []int       // Y[i] indexes Classes
	// RowNumbers[i] is the file row that X[i] came from (1-based, the header
	// is row 1). Checks use it to name rows.
	RowNumbers []int
	SHA256     string // hex SHA-256 of the raw input bytes
	Dropped    int    // rows dropped by MissingDrop
	Imputed    int    // feature values filled in by MissingMean
}

// rowNumber returns the file row of X[i], or i+2 when RowNumbers is not set
// (the row it would have in a file with a header and no blank lines).
func (ds *Dataset) rowNumber(i int) int {
	if i < len(ds.RowNumbers) {
		return ds.RowNumbers[i]
	}
	return i + 2
}

//go:embed iris.csv
var irisCSV []byte

// IrisSource is the Source of the data set that Iris returns.
const IrisSource = "iris (built-in)"

var irisOnce = sync.OnceValue(func() *Dataset {
	ds, err := Read(bytes.NewReader(irisCSV), ReadOptions{Source: IrisSource})
	if err != nil {
		// The embedded file is fixed at build time and covered by tests, so
		// this is a broken build rather than bad user input.
		panic(fmt.Sprintf("dataset: embedded iris.csv: %v", err))
	}
	return ds
})

// Iris returns Fisher's Iris data (150 rows, 4 features, classes setosa,
// versicolor and virginica), embedded in the binary. Each call returns a new
// copy, so callers may modify it.
func Iris() *Dataset {
	return irisOnce().clone()
}

func (ds *Dataset) clone() *Dataset {
	c := *ds
	c.Features = slices.Clone(ds.Features)
	c.Classes = slices.Clone(ds.Classes)
	c.Y = slices.Clone(ds.Y)
	c.RowNumbers = slices.Clone(ds.RowNumbers)
	c.X = make([][]float64, len(ds.X))
	for i, row := range ds.X {
		c.X[i] = slices.Clone(row)
	}
	return &c
}
