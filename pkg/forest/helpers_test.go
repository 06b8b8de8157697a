package forest

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// datasetsDir holds the reference CSV files: a header row, numeric features,
// and a string class label in the last column.
const datasetsDir = "../../testdata/datasets"

type labeledData struct {
	X       [][]float64
	y       []int
	classes []string
}

// loadCSV reads a data set from datasetsDir. It is a minimal reader for
// these well-formed files, not a general CSV loader.
func loadCSV(tb testing.TB, name string) labeledData {
	tb.Helper()
	file, err := os.Open(filepath.Join(datasetsDir, name+".csv"))
	if err != nil {
		tb.Fatalf("data set %s: %v", name, err)
	}
	defer file.Close()

	records, err := csv.NewReader(file).ReadAll()
	if err != nil {
		tb.Fatalf("read %s: %v", name, err)
	}
	var d labeledData
	labels := make([]string, 0, len(records)-1)
	for i, rec := range records[1:] {
		row := make([]float64, len(rec)-1)
		for j := range row {
			if row[j], err = strconv.ParseFloat(rec[j], 64); err != nil {
				tb.Fatalf("%s row %d column %d: %v", name, i+1, j, err)
			}
		}
		d.X = append(d.X, row)
		labels = append(labels, rec[len(rec)-1])
	}
	d.classes = slices.Compact(slices.Sorted(slices.Values(labels)))
	for _, l := range labels {
		d.y = append(d.y, slices.Index(d.classes, l))
	}
	return d
}

// generate returns a deterministic synthetic problem: rows points drawn
// around classes random centers in features dimensions, with Gaussian
// noise wide enough that neighboring classes overlap (as in most real
// data), so fully grown trees get large.
func generate(rows, features, classes int, seed int64) labeledData {
	r := newTreeRNG(seed, 0)
	centers := make([][]float64, classes)
	for c := range centers {
		centers[c] = make([]float64, features)
		for f := range centers[c] {
			centers[c][f] = r.normal()
		}
	}
	d := labeledData{X: make([][]float64, rows), y: make([]int, rows)}
	for i := range rows {
		c := r.intn(classes)
		row := make([]float64, features)
		for f := range row {
			row[f] = centers[c][f] + 1.5*r.normal()
		}
		d.X[i], d.y[i] = row, c
	}
	for c := range classes {
		d.classes = append(d.classes, "class_"+strconv.Itoa(c))
	}
	return d
}

// normal returns a standard normal variate by the Box-Muller transform.
func (r *rng) normal() float64 {
	u1 := (float64(r.next()>>11) + 0.5) / (1 << 53)
	u2 := float64(r.next()>>11) / (1 << 53)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}
