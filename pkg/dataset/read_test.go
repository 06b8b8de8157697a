package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const fixtures = "../../testdata/csv"

func fixture(name string) string { return filepath.Join(fixtures, name) }

// plainContent is the content every good fixture must read as.
type plainContent struct {
	Features []string
	Label    string
	Classes  []string
	X        [][]float64
	Y        []int
}

func contentOf(ds *Dataset) plainContent {
	return plainContent{ds.Features, ds.Label, ds.Classes, ds.X, ds.Y}
}

func TestReadFile_goodFixturesMatchPlain(t *testing.T) {
	want := plainContent{
		Features: []string{"sepal_length", "sepal_width", "petal_length"},
		Label:    "species",
		Classes:  []string{"setosa", "versicolor", "virginica"},
		X: [][]float64{
			{5.1, 3.5, 1.4}, {4.9, 3.0, 1.4}, {7.0, 3.2, 4.7},
			{6.4, 3.2, 4.5}, {6.3, 3.3, 6.0}, {5.8, 2.7, 5.1},
		},
		Y: []int{0, 0, 1, 1, 2, 2},
	}
	tests := []struct {
		file string
		opts ReadOptions
	}{
		{"plain.csv", ReadOptions{}},
		{"bom.csv", ReadOptions{}},
		{"crlf.csv", ReadOptions{}},
		{"cr_only.csv", ReadOptions{}},
		{"semicolon.csv", ReadOptions{}},
		{"semicolon.csv", ReadOptions{Delimiter: ';'}},
		{"tab.csv", ReadOptions{}},
		{"quoted.csv", ReadOptions{}},
		{"spaces.csv", ReadOptions{}},
		{"label_first.csv", ReadOptions{Label: "species"}},
		{"label_first.csv", ReadOptions{Label: " species "}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ds, err := ReadFile(fixture(tt.file), tt.opts)
			if err != nil {
				t.Fatalf("ReadFile(%s) error: %v", tt.file, err)
			}
			if got := contentOf(ds); !reflect.DeepEqual(got, want) {
				t.Errorf("ReadFile(%s) =\n%+v\nwant\n%+v", tt.file, got, want)
			}
			if ds.Source != fixture(tt.file) {
				t.Errorf("Source = %q, want %q", ds.Source, fixture(tt.file))
			}
			wantRows := []int{2, 3, 4, 5, 6, 7}
			if !reflect.DeepEqual(ds.RowNumbers, wantRows) {
				t.Errorf("RowNumbers = %v, want %v", ds.RowNumbers, wantRows)
			}
		})
	}
}

func TestReadFile_bareCRIsNotOneRow(t *testing.T) {
	raw, err := os.ReadFile(fixture("cr_only.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "\n") {
		t.Fatal("cr_only.csv contains LF, the fixture must use bare CR only")
	}
	ds, err := ReadFile(fixture("cr_only.csv"), ReadOptions{})
	if err != nil {
		t.Fatalf("ReadFile(cr_only.csv) error: %v", err)
	}
	if len(ds.X) != 6 {
		t.Errorf("read %d rows, want 6", len(ds.X))
	}
	if len(ds.Features) != 3 {
		t.Errorf("read %d features, want 3", len(ds.Features))
	}
}

func TestRead_sha256OfRawBytes(t *testing.T) {
	for _, file := range []string{"plain.csv", "bom.csv", "crlf.csv"} {
		raw, err := os.ReadFile(fixture(file))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(raw)
		ds, err := ReadFile(fixture(file), ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if want := hex.EncodeToString(sum[:]); ds.SHA256 != want {
			t.Errorf("%s: SHA256 = %s, want %s", file, ds.SHA256, want)
		}
	}
}

func TestReadFile_badFixtures(t *testing.T) {
	tests := []struct {
		file string
		opts ReadOptions
		kind Kind
		row  int
		col  string
		want string // the whole message, with the source replaced by SRC
	}{
		{"empty.csv", ReadOptions{}, KindEmpty, 0, "",
			`SRC: file is empty (hint: expected a header row followed by data rows)`},
		{"header_only.csv", ReadOptions{}, KindHeaderOnly, 0, "",
			`SRC: file has a header row but no data rows (hint: add data rows below the header)`},
		{"ragged.csv", ReadOptions{}, KindRagged, 3, "",
			`SRC: row 3: has 3 fields, the header has 4 (hint: check for a missing or extra ',', and quote values that contain one)`},
		{"non_numeric.csv", ReadOptions{}, KindNonNumeric, 3, "sepal_width",
			`SRC: row 3, column "sepal_width": value "wide" is not a number (hint: feature columns must be numeric, and if "sepal_width" is the label, select it with --label "sepal_width")`},
		{"decimal_comma.csv", ReadOptions{}, KindNonNumeric, 2, "sepal_length",
			`SRC: row 2, column "sepal_length": value "5,1" is not a number (hint: write decimals with a dot, not a comma)`},
		{"single_class.csv", ReadOptions{}, KindSingleClass, 0, "species",
			`SRC: column "species": has only one class "setosa", a classifier needs at least two (hint: the label is the last column unless --label names another)`},
		{"small_class.csv", ReadOptions{}, KindSmallClass, 0, "species",
			`SRC: column "species": class "virginica" (row 6) has only 1 row (hint: add rows of that class or remove it, a stratified split needs at least two rows per class)`},
		{"duplicate_column.csv", ReadOptions{}, KindDuplicateColumn, 1, "sepal_width",
			`SRC: row 1, column "sepal_width": column name appears twice in the header (columns 2 and 3) (hint: rename one of them)`},
		{"empty_column_name.csv", ReadOptions{}, KindEmptyColumnName, 1, "",
			`SRC: row 1: header column 2 of 4 has no name (hint: give every column a name, a delimiter at the end of the line adds an empty column)`},
		{"missing_values.csv", ReadOptions{}, KindMissingValue, 3, "sepal_width",
			`SRC: row 3, column "sepal_width": missing value "NA" (first of 3 missing values) (hint: fill it in, or drop or impute missing values with --missing drop or --missing mean)`},
		{"plain.csv", ReadOptions{Label: "class"}, KindUnknownLabel, 0, "",
			`SRC: label column "class" not found, the columns are: "sepal_length", "sepal_width", "petal_length", "species"`},
		{"utf16le.csv", ReadOptions{}, KindEncoding, 0, "",
			`SRC: file is UTF-16LE encoded (byte order mark FF FE), only UTF-8 is supported (hint: convert it with: iconv -f UTF-16 -t UTF-8)`},
		{"utf16be.csv", ReadOptions{}, KindEncoding, 0, "",
			`SRC: file is UTF-16BE encoded (byte order mark FE FF), only UTF-8 is supported (hint: convert it with: iconv -f UTF-16 -t UTF-8)`},
		{"utf16le_no_bom.csv", ReadOptions{}, KindEncoding, 0, "",
			`SRC: file seems to be UTF-16LE encoded (NUL bytes and no byte order mark), only UTF-8 is supported (hint: convert it with: iconv -f UTF-16 -t UTF-8)`},
		{"latin1.csv", ReadOptions{}, KindEncoding, 6, "",
			`SRC: row 6: invalid UTF-8 byte 0xED (hint: save the file as UTF-8, it may be Latin-1 or Windows-1252)`},
		{"bad_quote.csv", ReadOptions{}, KindSyntax, 3, "",
			`SRC: row 3: a quoted field opened in this row is not closed (reading stopped at row 5) (hint: add the closing quote)`},
		{"one_column.csv", ReadOptions{}, KindTooFewColumns, 1, "",
			`SRC: row 1: header has 1 column "sepal_length|sepal_width|petal_length|species", need at least one feature column and a label column (hint: the delimiter was ',', give the right one if the file uses another)`},
		{"does_not_exist.csv", ReadOptions{}, KindIO, 0, "",
			`SRC: open file: no such file or directory`},
		{".", ReadOptions{}, KindIO, 0, "",
			`SRC: read file: is a directory`},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".csv"), func(t *testing.T) {
			path := fixture(tt.file)
			ds, err := ReadFile(path, tt.opts)
			if err == nil {
				t.Fatalf("ReadFile(%s) = %d rows, want an error", tt.file, len(ds.X))
			}
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("ReadFile(%s) error %T %v, want *Error", tt.file, err, err)
			}
			if de.Kind != tt.kind {
				t.Errorf("Kind = %q, want %q", de.Kind, tt.kind)
			}
			if de.Source != path {
				t.Errorf("Source = %q, want %q", de.Source, path)
			}
			if de.Row != tt.row {
				t.Errorf("Row = %d, want %d", de.Row, tt.row)
			}
			if de.Column != tt.col {
				t.Errorf("Column = %q, want %q", de.Column, tt.col)
			}
			if want := strings.Replace(tt.want, "SRC", path, 1); err.Error() != want {
				t.Errorf("message\n got: %s\nwant: %s", err.Error(), want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("message spans lines: %q", err.Error())
			}
		})
	}
}

func TestReadFile_missingFileUnwraps(t *testing.T) {
	_, err := ReadFile(fixture("does_not_exist.csv"), ReadOptions{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = false, want true", err)
	}
}
