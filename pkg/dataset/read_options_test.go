package dataset

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

func readString(t *testing.T, text string, opts ReadOptions) (*Dataset, error) {
	t.Helper()
	if opts.Source == "" {
		opts.Source = "test.csv"
	}
	return Read(strings.NewReader(text), opts)
}

func TestRead_missingPolicies(t *testing.T) {
	t.Run("drop", func(t *testing.T) {
		ds, err := ReadFile(fixture("missing_values.csv"), ReadOptions{Missing: MissingDrop})
		if err != nil {
			t.Fatalf("ReadFile error: %v", err)
		}
		if ds.Dropped != 3 {
			t.Errorf("Dropped = %d, want 3", ds.Dropped)
		}
		if ds.Imputed != 0 {
			t.Errorf("Imputed = %d, want 0", ds.Imputed)
		}
		wantRows := []int{2, 5, 6, 8, 9, 10}
		if !reflect.DeepEqual(ds.RowNumbers, wantRows) {
			t.Errorf("RowNumbers = %v, want %v", ds.RowNumbers, wantRows)
		}
		wantX := [][]float64{{5.1, 3.5, 1.4}, {6.4, 3.2, 4.5}, {6.3, 3.3, 6.0}, {5.0, 3.4, 1.5}, {6.9, 3.1, 4.9}, {7.1, 3.0, 5.9}}
		if !reflect.DeepEqual(ds.X, wantX) {
			t.Errorf("X = %v, want %v", ds.X, wantX)
		}
		if want := []int{0, 1, 2, 0, 1, 2}; !reflect.DeepEqual(ds.Y, want) {
			t.Errorf("Y = %v, want %v", ds.Y, want)
		}
	})
	t.Run("mean", func(t *testing.T) {
		ds, err := ReadFile(fixture("missing_values.csv"), ReadOptions{Missing: MissingMean})
		if err != nil {
			t.Fatalf("ReadFile error: %v", err)
		}
		if ds.Imputed != 3 {
			t.Errorf("Imputed = %d, want 3", ds.Imputed)
		}
		if ds.Dropped != 0 {
			t.Errorf("Dropped = %d, want 0", ds.Dropped)
		}
		if len(ds.X) != 9 {
			t.Fatalf("rows = %d, want 9", len(ds.X))
		}
		// sepal_width present: 3.5 3.2 3.2 3.3 3.4 3.1 3.0, mean 22.7/7.
		// petal_length present: 1.4 1.4 4.5 6.0 5.1 1.5 4.9 5.9, mean 30.7/8.
		checks := []struct {
			row, col int
			want     float64
		}{
			{1, 1, 22.7 / 7}, {5, 1, 22.7 / 7}, {2, 2, 30.7 / 8},
		}
		for _, c := range checks {
			if got := ds.X[c.row][c.col]; math.Abs(got-c.want) > 1e-12 {
				t.Errorf("X[%d][%d] = %v, want %v", c.row, c.col, got, c.want)
			}
		}
	})
	t.Run("invalid policy", func(t *testing.T) {
		_, err := ReadFile(fixture("plain.csv"), ReadOptions{Missing: "zero"})
		var de *Error
		if !errors.As(err, &de) || de.Kind != KindOption {
			t.Fatalf("error = %v, want *Error of kind %q", err, KindOption)
		}
		if !strings.Contains(err.Error(), `invalid missing-value policy "zero" (valid: error, drop, mean)`) {
			t.Errorf("message %q does not name the policy and the valid ones", err)
		}
	})
}

func TestRead_missingMarkers(t *testing.T) {
	for _, marker := range []string{"", " ", "NA", "na", "N/A", "n/a", "NaN", "nan", "NAN", "?"} {
		t.Run(marker, func(t *testing.T) {
			text := "a,b,y\n1,2,x\n3," + marker + ",x\n5,6,z\n7,8,z\n"
			_, err := readString(t, text, ReadOptions{})
			var de *Error
			if !errors.As(err, &de) || de.Kind != KindMissingValue {
				t.Fatalf("marker %q: error = %v, want a missing-value error", marker, err)
			}
			if de.Row != 3 || de.Column != "b" {
				t.Errorf("marker %q: row %d column %q, want row 3 column \"b\"", marker, de.Row, de.Column)
			}
		})
	}
}

func TestRead_errorsInline(t *testing.T) {
	tests := []struct {
		name string
		text string
		opts ReadOptions
		kind Kind
		want string
	}{
		{"infinite value", "a,y\n1,x\ninf,x\n2,z\n3,z\n", ReadOptions{}, KindNonNumeric,
			`test.csv: row 3, column "a": value "inf" is not a finite number (hint: feature values must be finite numbers)`},
		{"out of range", "a,y\n1,x\n1e999,x\n2,z\n3,z\n", ReadOptions{}, KindNonNumeric,
			`test.csv: row 3, column "a": value "1e999" is out of range for a 64-bit float`},
		{"non-numeric with label given", "a,b,y\n1,x,x\n2,3,x\n2,4,z\n3,5,z\n", ReadOptions{Label: "y"}, KindNonNumeric,
			`test.csv: row 2, column "b": value "x" is not a number (hint: feature columns must be numeric, so encode categories as numbers or remove the column)`},
		{"missing label with mean", "a,y\n1,x\n2,\n2,z\n3,z\n4,x\n", ReadOptions{Missing: MissingMean}, KindMissingValue,
			`test.csv: row 3, column "y": empty value in the label column, which cannot be imputed (hint: fill in the label, or pass --missing drop to drop such rows)`},
		{"all rows dropped", "a,y\nNA,x\n2,?\n", ReadOptions{Missing: MissingDrop}, KindNoRowsAfterDrops,
			`test.csv: every one of the 2 data rows has a missing value, so none is left after dropping them (hint: fill in the missing values, or impute them with --missing mean)`},
		{"all values missing with mean", "a,b,y\n1,NA,x\n2,,x\n3,?,z\n4,na,z\n", ReadOptions{Missing: MissingMean}, KindMissingValue,
			`test.csv: column "b": every value is missing, so there is no mean to impute (hint: fill in the column or remove it)`},
		{"two small classes", "a,y\n1,x\n2,x\n3,p\n4,q\n", ReadOptions{}, KindSmallClass,
			`test.csv: column "y": classes "p" (row 4), "q" (row 5) have only 1 row each (hint: add rows of that class or remove it, a stratified split needs at least two rows per class)`},
		{"continuous label", "a,y\n1,0.1\n2,0.2\n3,0.3\n4,0.4\n5,0.5\n6,0.6\n7,0.7\n", ReadOptions{}, KindSmallClass,
			`test.csv: column "y": classes "0.1" (row 2), "0.2" (row 3), "0.3" (row 4), "0.4" (row 5), "0.5" (row 6) and 2 more have only 1 row each (hint: the label column looks like a continuous value, and mlops trains classifiers only)`},
		{"single class with label given", "y,a\nx,1\nx,2\n", ReadOptions{Label: "y"}, KindSingleClass,
			`test.csv: column "y": has only one class "x", a classifier needs at least two (hint: check that --label names the class column)`},
		{"invalid delimiter", "a,y\n1,x\n", ReadOptions{Delimiter: '"'}, KindOption,
			`test.csv: invalid delimiter '"'`},
		{"only spaces", "  \n \n", ReadOptions{}, KindEmpty,
			`test.csv: file is empty (hint: expected a header row followed by data rows)`},
		{"bom only", "\uFEFF", ReadOptions{}, KindEmpty,
			`test.csv: file is empty (hint: expected a header row followed by data rows)`},
		{"ragged long row", "a,b,y\n1,2,x\n1,2,3,x\n", ReadOptions{}, KindRagged,
			`test.csv: row 3: has 4 fields, the header has 3 (hint: check for a missing or extra ',', and quote values that contain one)`},
		{"stray quote", "a,y\n1,x\n2,x\"y\n", ReadOptions{}, KindSyntax,
			`test.csv: row 3: invalid quoting at character 4: bare " in non-quoted-field (hint: quote a field that contains quotes and double each inner quote, as in "a ""b"" c")`},
		{"newline in value is quoted", "a,y\n1,x\n\"2\n3\",x\n", ReadOptions{}, KindNonNumeric,
			`test.csv: row 3, column "a": value "2\n3" is not a number (hint: feature columns must be numeric, and if "a" is the label, select it with --label "a")`},
		{"utf32", "\xFF\xFE\x00\x00a\x00\x00\x00", ReadOptions{}, KindEncoding,
			`test.csv: file is UTF-32LE encoded (byte order mark FF FE 00 00), only UTF-8 is supported (hint: convert it with: iconv -f UTF-32 -t UTF-8)`},
		{"xlsx", "PK\x03\x04rest", ReadOptions{}, KindEncoding,
			`test.csv: file is a ZIP archive, such as an .xlsx workbook, not CSV text (hint: export the sheet as CSV in UTF-8)`},
		{"gzip", "\x1F\x8B\x08\x00", ReadOptions{}, KindEncoding,
			`test.csv: file is gzip-compressed, not CSV text (hint: decompress it first, for example with gunzip)`},
		{"utf16be without mark", "\x00a\x00,\x00y", ReadOptions{}, KindEncoding,
			`test.csv: file seems to be UTF-16BE encoded (NUL bytes and no byte order mark), only UTF-8 is supported (hint: convert it with: iconv -f UTF-16 -t UTF-8)`},
		{"no source", "", ReadOptions{Source: "-"}, KindEmpty,
			`-: file is empty (hint: expected a header row followed by data rows)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readString(t, tt.text, tt.opts)
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("Read error = %v, want *Error", err)
			}
			if de.Kind != tt.kind {
				t.Errorf("Kind = %q, want %q", de.Kind, tt.kind)
			}
			if err.Error() != tt.want {
				t.Errorf("message\n got: %s\nwant: %s", err.Error(), tt.want)
			}
		})
	}
}

func TestRead_defaultSource(t *testing.T) {
	_, err := Read(strings.NewReader(""), ReadOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), "input: ") {
		t.Errorf("Read error = %v, want a message starting with \"input: \"", err)
	}
}

func TestRead_inputForms(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		opts     ReadOptions
		features []string
		classes  []string
		x        [][]float64
		y        []int
	}{
		{"quoted delimiter and newline in label", "a,y\n1,\"x, one\"\n2,\"x, one\"\n3,\"two\nlines\"\n4,\"two\nlines\"\n",
			ReadOptions{}, []string{"a"}, []string{"two\nlines", "x, one"},
			[][]float64{{1}, {2}, {3}, {4}}, []int{1, 1, 0, 0}},
		{"escaped quotes in header", "\"the \"\"a\"\" col\",y\n1,p\n2,p\n3,q\n4,q\n",
			ReadOptions{}, []string{`the "a" col`}, []string{"p", "q"},
			[][]float64{{1}, {2}, {3}, {4}}, []int{0, 0, 1, 1}},
		{"numeric classes sort by value", "a,y\n1,10\n2,2\n3,10\n4,2\n5,1\n6,1\n",
			ReadOptions{}, []string{"a"}, []string{"1", "2", "10"},
			[][]float64{{1}, {2}, {3}, {4}, {5}, {6}}, []int{2, 1, 2, 1, 0, 0}},
		{"mixed classes sort as strings", "a,y\n1,10\n2,2\n3,10\n4,b\n5,2\n6,b\n",
			ReadOptions{}, []string{"a"}, []string{"10", "2", "b"},
			[][]float64{{1}, {2}, {3}, {4}, {5}, {6}}, []int{0, 1, 0, 2, 1, 2}},
		{"blank lines skipped", "a,y\n\n1,p\n   \n2,p\n3,q\n\n4,q\n\n",
			ReadOptions{}, []string{"a"}, []string{"p", "q"},
			[][]float64{{1}, {2}, {3}, {4}}, []int{0, 0, 1, 1}},
		{"label in the middle", "a,y,b\n1,p,10\n2,p,20\n3,q,30\n4,q,40\n",
			ReadOptions{Label: "y"}, []string{"a", "b"}, []string{"p", "q"},
			[][]float64{{1, 10}, {2, 20}, {3, 30}, {4, 40}}, []int{0, 0, 1, 1}},
		{"pipe delimiter given", "a|y\n1|p\n2|p\n3|q\n4|q\n",
			ReadOptions{Delimiter: '|'}, []string{"a"}, []string{"p", "q"},
			[][]float64{{1}, {2}, {3}, {4}}, []int{0, 0, 1, 1}},
		{"tab with empty-looking spaces", "a\tb\ty\n1\t 2 \tp\n3\t4\tp\n5\t6\tq\n7\t8\tq\n",
			ReadOptions{}, []string{"a", "b"}, []string{"p", "q"},
			[][]float64{{1, 2}, {3, 4}, {5, 6}, {7, 8}}, []int{0, 0, 1, 1}},
		{"quoted semicolon header with commas", "\"a,1\";\"b,2\";y\n1;2;p\n3;4;p\n5;6;q\n7;8;q\n",
			ReadOptions{}, []string{"a,1", "b,2"}, []string{"p", "q"},
			[][]float64{{1, 2}, {3, 4}, {5, 6}, {7, 8}}, []int{0, 0, 1, 1}},
		{"number forms", "a,y\n-1.5e2,p\n+3,p\n.5,q\n1E1,q\n",
			ReadOptions{}, []string{"a"}, []string{"p", "q"},
			[][]float64{{-150}, {3}, {0.5}, {10}}, []int{0, 0, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, err := readString(t, tt.text, tt.opts)
			if err != nil {
				t.Fatalf("Read error: %v", err)
			}
			if !reflect.DeepEqual(ds.Features, tt.features) {
				t.Errorf("Features = %q, want %q", ds.Features, tt.features)
			}
			if !reflect.DeepEqual(ds.Classes, tt.classes) {
				t.Errorf("Classes = %q, want %q", ds.Classes, tt.classes)
			}
			if !reflect.DeepEqual(ds.X, tt.x) {
				t.Errorf("X = %v, want %v", ds.X, tt.x)
			}
			if !reflect.DeepEqual(ds.Y, tt.y) {
				t.Errorf("Y = %v, want %v", ds.Y, tt.y)
			}
		})
	}
}

func TestIris(t *testing.T) {
	ds := Iris()
	if ds.Source != "iris (built-in)" {
		t.Errorf("Source = %q", ds.Source)
	}
	wantFeatures := []string{"sepal_length", "sepal_width", "petal_length", "petal_width"}
	if !reflect.DeepEqual(ds.Features, wantFeatures) {
		t.Errorf("Features = %q, want %q", ds.Features, wantFeatures)
	}
	if ds.Label != "species" {
		t.Errorf("Label = %q, want species", ds.Label)
	}
	if want := []string{"setosa", "versicolor", "virginica"}; !reflect.DeepEqual(ds.Classes, want) {
		t.Errorf("Classes = %q, want %q", ds.Classes, want)
	}
	if len(ds.X) != 150 || len(ds.Y) != 150 {
		t.Fatalf("rows = %d/%d, want 150", len(ds.X), len(ds.Y))
	}
	if want := []float64{5.1, 3.5, 1.4, 0.2}; !reflect.DeepEqual(ds.X[0], want) {
		t.Errorf("X[0] = %v, want %v", ds.X[0], want)
	}
	if want := []float64{5.9, 3.0, 5.1, 1.8}; !reflect.DeepEqual(ds.X[149], want) {
		t.Errorf("X[149] = %v, want %v", ds.X[149], want)
	}
	if len(ds.SHA256) != 64 {
		t.Errorf("SHA256 = %q, want 64 hex digits", ds.SHA256)
	}

	ds.X[0][0] = -1
	ds.Classes[0] = "changed"
	again := Iris()
	if again.X[0][0] != 5.1 || again.Classes[0] != "setosa" {
		t.Error("Iris() returned data changed through an earlier copy")
	}
}

func TestRead_HostileValues(t *testing.T) {
	var many strings.Builder
	many.WriteString("x,label\n")
	for i := range 2 * (MaxClasses + 1) {
		fmt.Fprintf(&many, "%d,c%d\n", i, i/2)
	}
	tests := []struct {
		name string
		csv  string
		kind Kind
		want string
	}{
		{"huge value", "x,y\n1,a\n1e308,a\n2,b\n3,b\n", KindNonNumeric, `row 3, column "x": value "1e308" is beyond`},
		{"too many classes", many.String(), KindTooManyClasses, "has 257 distinct classes, more than the 256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.csv), ReadOptions{Source: "t.csv"})
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a *dataset.Error", err)
			}
			if de.Kind != tt.kind {
				t.Errorf("kind = %s, want %s", de.Kind, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("message = %q, want it to contain %q", err.Error(), tt.want)
			}
		})
	}
}
