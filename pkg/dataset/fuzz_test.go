package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func FuzzRead(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join(fixtures, "*.csv"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seed fixtures in %s: %v", fixtures, err)
	}
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, "", byte(0))
	}
	f.Add([]byte("a;b;y\n1;2;p\n3;4;q\n5;6;p\n7;8;q\n"), "y", byte(';'))
	f.Add([]byte("y,a\np,1\nq,NA\np,3\nq,4\n"), "y", byte('m'))

	f.Fuzz(func(t *testing.T, raw []byte, label string, mode byte) {
		opts := ReadOptions{Label: label, Source: "fuzz.csv"}
		switch mode % 4 {
		case 1:
			opts.Missing = MissingDrop
		case 2:
			opts.Missing = MissingMean
		case 3:
			opts.Delimiter = rune(mode)
		}
		ds, err := Read(bytes.NewReader(raw), opts)
		if err != nil {
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("error %T %v, want *Error", err, err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("message spans lines: %q", err.Error())
			}
			return
		}
		checkInvariants(t, ds)
		Stats(ds)
		Check(ds, nil, nil)
	})
}

func checkInvariants(t *testing.T, ds *Dataset) {
	t.Helper()
	if len(ds.X) != len(ds.Y) || len(ds.X) != len(ds.RowNumbers) || len(ds.X) == 0 {
		t.Fatalf("rows: %d X, %d Y, %d row numbers", len(ds.X), len(ds.Y), len(ds.RowNumbers))
	}
	if len(ds.Classes) < 2 {
		t.Fatalf("%d classes, want at least 2", len(ds.Classes))
	}
	if len(slices.Compact(slices.Clone(ds.Classes))) != len(ds.Classes) {
		t.Fatalf("duplicate classes %q", ds.Classes)
	}
	counts := make([]int, len(ds.Classes))
	for i, row := range ds.X {
		if len(row) != len(ds.Features) {
			t.Fatalf("row %d has %d values, want %d", i, len(row), len(ds.Features))
		}
		counts[ds.Y[i]]++
	}
	for c, n := range counts {
		if n < 2 {
			t.Fatalf("class %q has %d rows", ds.Classes[c], n)
		}
	}
	if slices.Contains(ds.Features, ds.Label) {
		t.Fatalf("label %q is among the features", ds.Label)
	}
}

// generatedCSV returns a CSV with rows rows, 10 numeric features and a label
// of three classes.
func generatedCSV(rows int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	for j := 0; j < 10; j++ {
		fmt.Fprintf(&b, "feature_%d,", j)
	}
	b.WriteString("label\n")
	for i := 0; i < rows; i++ {
		for j := 0; j < 10; j++ {
			fmt.Fprintf(&b, "%.4f,", rng.NormFloat64()*10)
		}
		fmt.Fprintf(&b, "class_%d\n", rng.IntN(3))
	}
	return b.Bytes()
}

func BenchmarkRead(b *testing.B) {
	data := generatedCSV(100_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data), ReadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	ds, err := Read(bytes.NewReader(generatedCSV(100_000)), ReadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Check(ds, nil, nil)
	}
}
