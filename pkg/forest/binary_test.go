package forest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"strings"
	"testing"
)

func TestMarshal_RoundTripPredictsTheSame(t *testing.T) {
	d := loadCSV(t, "wine")
	p := DefaultParams()
	p.Seed = 7
	p.MaxDepth = 6
	f := fitOrFatal(t, d, p)
	data := marshalOrFatal(t, f)

	var g Forest
	if err := g.UnmarshalBinary(data); err != nil {
		t.Fatalf("UnmarshalBinary: %v", err)
	}
	if again := marshalOrFatal(t, &g); !bytes.Equal(again, data) {
		t.Error("MarshalBinary after UnmarshalBinary gave different bytes")
	}
	if g.Params() != f.Params() {
		t.Errorf("Params() = %+v, want %+v", g.Params(), f.Params())
	}
	if g.OOBScore() != f.OOBScore() {
		t.Errorf("OOBScore() = %v, want %v", g.OOBScore(), f.OOBScore())
	}
	if g.NumFeatures() != 13 || g.NumClasses() != 3 || g.NumTrees() != 100 {
		t.Errorf("decoded sizes: %d features, %d classes, %d trees; want 13, 3, 100",
			g.NumFeatures(), g.NumClasses(), g.NumTrees())
	}

	want := make([]float64, 3)
	got := make([]float64, 3)
	for i, row := range d.X {
		f.PredictProba(row, want)
		g.PredictProba(row, got)
		if !slicesBitEqual(got, want) {
			t.Errorf("row %d: decoded forest gives %v, original %v", i, got, want)
		}
	}
}

func slicesBitEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// smallForest returns the encoding of a forest of 3 shallow trees on a
// tiny data set: header, 3 roots, then 24-byte nodes.
func smallForest(tb testing.TB) []byte {
	tb.Helper()
	X := [][]float64{{0, 1}, {1, 0}, {2, 3}, {3, 2}, {4, 4}, {5, 5}}
	y := []int{0, 0, 1, 1, 2, 2}
	p := DefaultParams()
	p.Trees = 3
	p.MaxDepth = 2
	f, err := Fit(context.Background(), X, y, 3, p, nil)
	if err != nil {
		tb.Fatalf("Fit: %v", err)
	}
	return marshalOrFatal(tb, f)
}

// resign replaces the trailing checksum after a test edits the bytes, so
// the structural checks, not the checksum, have to catch the edit.
func resign(data []byte) []byte {
	body := data[:len(data)-trailerSize]
	binary.LittleEndian.PutUint32(data[len(body):], crc32.ChecksumIEEE(body))
	return data
}

// nodeOffset returns the byte offset of node n in an encoding of a forest
// with the given tree count.
func nodeOffset(trees, n int) int {
	return headerSize + 4*trees + nodeSize*n
}

func TestUnmarshal_RejectsCorruptData(t *testing.T) {
	valid := smallForest(t)
	var f Forest
	if err := f.UnmarshalBinary(valid); err != nil {
		t.Fatalf("UnmarshalBinary(valid): %v", err)
	}
	firstLeaf := -1
	for n, feat := range f.feature {
		if feat < 0 {
			firstLeaf = n
			break
		}
	}
	if f.feature[0] < 0 {
		t.Fatal("tree 0 of the small forest is a single leaf, want a split at its root")
	}

	tests := []struct {
		name string
		edit func([]byte) []byte
		want string
	}{
		{"empty", func([]byte) []byte { return nil }, "shorter than"},
		{"bad magic", func(b []byte) []byte { b[0] = 'X'; return b }, "magic bytes"},
		{"future version", func(b []byte) []byte { b[4] = 2; return resign(b) }, "format version 2"},
		{"truncated", func(b []byte) []byte { return b[:len(b)-9] }, "length is"},
		{"extra byte", func(b []byte) []byte { return append(b, 0) }, "length is"},
		{"flipped bit", func(b []byte) []byte { b[len(b)/2] ^= 1; return b }, "checksum"},
		{"huge node count", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[20:], math.MaxUint32)
			return b
		}, "node count"},
		{"zero classes", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[12:], 0)
			return resign(b)
		}, "class count 0"},
		{"bad min leaf", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[32:], 0)
			return resign(b)
		}, "min samples per leaf"},
		{"oob above one", func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[48:], math.Float64bits(1.5))
			return resign(b)
		}, "out-of-bag score"},
		{"root out of order", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[headerSize+4:], 0)
			return resign(b)
		}, "tree 1 starts at node 0"},
		{"feature out of range", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[nodeOffset(3, 0):], 2)
			return resign(b)
		}, "splits on feature 2"},
		{"NaN threshold", func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[nodeOffset(3, 0)+4:], math.Float64bits(math.NaN()))
			return resign(b)
		}, "threshold NaN"},
		{"child points back", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[nodeOffset(3, 0)+12:], 0)
			return resign(b)
		}, "children 0 and"},
		{"leaf with child", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[nodeOffset(3, firstLeaf)+12:], 1)
			return resign(b)
		}, "has children"},
		{"leaf value past end", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[nodeOffset(3, firstLeaf)+20:], 1<<20)
			return resign(b)
		}, "value offset"},
		{"probability above one", func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[len(b)-trailerSize-8:], math.Float64bits(2))
			return resign(b)
		}, "expected a probability"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := f
			err := g.UnmarshalBinary(tt.edit(bytes.Clone(valid)))
			if err == nil {
				t.Fatal("UnmarshalBinary accepted corrupt data")
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("error %v does not wrap ErrFormat", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
			if g.NumNodes() != f.NumNodes() {
				t.Error("failed UnmarshalBinary changed the forest")
			}
		})
	}
}

func TestMarshal_EmptyForest(t *testing.T) {
	var f Forest
	if _, err := f.MarshalBinary(); err == nil {
		t.Error("MarshalBinary of a zero Forest succeeded, want an error")
	}
}

// FuzzUnmarshal checks that any input is either rejected or decodes into a
// forest that predicts without panicking and encodes back to the same bytes.
func FuzzUnmarshal(f *testing.F) {
	valid := smallForest(f)
	f.Add(valid)
	f.Add(valid[:headerSize])
	f.Add(resign(append([]byte(nil), valid...)))
	edited := bytes.Clone(valid)
	binary.LittleEndian.PutUint32(edited[nodeOffset(3, 0)+12:], 0)
	f.Add(resign(edited))
	f.Add([]byte("MLRF"))

	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecoded(t, data)
		// A fuzzer rarely guesses a checksum, so also try the input with a
		// correct one, which lets it reach the structural checks.
		if len(data) >= headerSize+trailerSize {
			checkDecoded(t, resign(bytes.Clone(data)))
		}
	})
}

func checkDecoded(t *testing.T, data []byte) {
	t.Helper()
	var g Forest
	if err := g.UnmarshalBinary(data); err != nil {
		if !errors.Is(err, ErrFormat) {
			t.Fatalf("error %v does not wrap ErrFormat", err)
		}
		return
	}
	again, err := g.MarshalBinary()
	if err != nil {
		t.Fatalf("MarshalBinary of a decoded forest: %v", err)
	}
	if !bytes.Equal(again, data) {
		t.Fatal("decoded forest encodes to different bytes")
	}
	if g.NumFeatures() > 1<<16 || g.NumClasses() > 1<<16 {
		return // too large to allocate a test row for
	}
	row := make([]float64, g.NumFeatures())
	out := make([]float64, g.NumClasses())
	g.PredictProba(row, out)
	for i := range row {
		row[i] = math.NaN()
	}
	g.PredictProba(row, out)
}
