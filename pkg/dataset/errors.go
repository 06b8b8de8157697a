package dataset

import (
	"fmt"
	"strings"
)

// Kind classifies a reading error so that callers and tests can tell the
// cases apart without matching message text.
type Kind string

// Kinds of reading errors.
const (
	KindIO               Kind = "io"                 // the file could not be opened or read
	KindOption           Kind = "option"             // a ReadOptions value is invalid
	KindEncoding         Kind = "encoding"           // UTF-16, UTF-32 or invalid UTF-8 bytes
	KindEmpty            Kind = "empty"              // no bytes, or only white space
	KindHeaderOnly       Kind = "header_only"        // a header row and no data rows
	KindTooFewColumns    Kind = "too_few_columns"    // fewer than one feature plus a label
	KindEmptyColumnName  Kind = "empty_column_name"  // a header field is empty
	KindDuplicateColumn  Kind = "duplicate_column"   // two header fields have the same name
	KindUnknownLabel     Kind = "unknown_label"      // ReadOptions.Label names no column
	KindSyntax           Kind = "syntax"             // broken quoting
	KindRagged           Kind = "ragged"             // a row with more or fewer fields than the header
	KindMissingValue     Kind = "missing_value"      // a missing value under the error policy
	KindNonNumeric       Kind = "non_numeric"        // a feature value that is not a finite number
	KindSingleClass      Kind = "single_class"       // the label column has one distinct value
	KindSmallClass       Kind = "small_class"        // a class with fewer than two rows
	KindTooManyClasses   Kind = "too_many_classes"   // more than MaxClasses classes
	KindNoRowsAfterDrops Kind = "no_rows_after_drop" // every row had a missing value
)

// Error is a problem with the input data. Its message is a single line that
// names the source and, where known, the row and the column.
type Error struct {
	Kind   Kind
	Source string // file name or ReadOptions.Source
	Row    int    // 1-based row in the file, the header is row 1; 0 when not about one row
	Column string // column name; "" when not about one column
	// Message describes the problem. Values taken from the file are quoted
	// with %q, so the message stays on one line.
	Message string
	Hint    string // suggested fix, or empty
	Err     error  // underlying error, if any
}

// Error formats the problem as "source: row R, column "C": message (hint: ...)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Source)
	switch {
	case e.Row > 0 && e.Column != "":
		fmt.Fprintf(&b, ": row %d, column %q", e.Row, e.Column)
	case e.Row > 0:
		fmt.Fprintf(&b, ": row %d", e.Row)
	case e.Column != "":
		fmt.Fprintf(&b, ": column %q", e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.Hint != "" {
		b.WriteString(" (hint: ")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the underlying error, such as an *fs.PathError's cause.
func (e *Error) Unwrap() error { return e.Err }
