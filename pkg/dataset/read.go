package dataset

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// parser holds the state of one Read call.
type parser struct {
	source  string
	opts    ReadOptions
	dropped int // rows removed by MissingDrop
	imputed int // values filled in by MissingMean
}

func (p *parser) errorf(kind Kind, row int, column, hint, format string, args ...any) *Error {
	return &Error{
		Kind:    kind,
		Source:  p.source,
		Row:     row,
		Column:  column,
		Message: fmt.Sprintf(format, args...),
		Hint:    hint,
	}
}

// ReadFile reads a CSV file with Read. Unless opts.Source is set, messages
// name the file by path.
func ReadFile(path string, opts ReadOptions) (*Dataset, error) {
	if opts.Source == "" {
		opts.Source = path
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, ioError(opts.Source, "open file", err)
	}
	defer f.Close()
	return Read(f, opts)
}

// Read reads a CSV table with a header row. The label is the last column
// unless opts.Label names another; every other column must be numeric.
//
// It strips a UTF-8 byte order mark, accepts LF, CRLF and bare CR line ends,
// detects a ',', ';' or tab delimiter from the header, trims spaces around
// names and values, and treats "", NA, N/A, NaN and ? (in any case) as
// missing values, handled according to opts.Missing. Every problem with the data
// is returned as an *Error.
func Read(r io.Reader, opts ReadOptions) (*Dataset, error) {
	p := &parser{source: opts.Source, opts: opts}
	if p.source == "" {
		p.source = "input"
	}
	policy, err := ParseMissingPolicy(string(opts.Missing))
	if err != nil {
		return nil, &Error{Kind: KindOption, Source: p.source, Message: err.Error(), Err: err}
	}
	p.opts.Missing = policy

	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, ioError(p.source, "read file", err)
	}
	text, err := p.decode(raw)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(text)) == 0 {
		return nil, p.errorf(KindEmpty, 0, "", "expected a header row followed by data rows", "file is empty")
	}

	ds, err := p.parse(text)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	ds.SHA256 = hex.EncodeToString(sum[:])
	ds.Source = p.source
	return ds, nil
}

// ioError wraps an I/O error, without repeating the path that an
// *fs.PathError would add to a message that already starts with the source.
func ioError(source, op string, err error) *Error {
	cause := err
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		cause = pathErr.Err
	}
	return &Error{Kind: KindIO, Source: source, Message: op + ": " + cause.Error(), Err: err}
}

func (p *parser) newCSVReader(text []byte) (*csv.Reader, error) {
	delim := p.opts.Delimiter
	if delim == 0 {
		delim = detectDelimiter(text)
	} else if err := validDelimiter(delim); err != nil {
		return nil, &Error{Kind: KindOption, Source: p.source, Message: err.Error(), Err: err}
	}
	cr := csv.NewReader(bytes.NewReader(text))
	cr.Comma = delim
	cr.FieldsPerRecord = -1 // row lengths are checked here, for a better message
	cr.ReuseRecord = true
	// With a white-space delimiter, trimming leading space would swallow
	// empty fields. Other fields are trimmed after parsing anyway, this
	// only lets a quote follow a space (`a, "b"`).
	cr.TrimLeadingSpace = delim != '\t' && delim != ' '
	return cr, nil
}

// syntaxError converts an encoding/csv error into an *Error.
func (p *parser) syntaxError(err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return ioError(p.source, "read file", err)
	}
	e := &Error{
		Kind:    KindSyntax,
		Source:  p.source,
		Row:     pe.StartLine,
		Message: fmt.Sprintf("invalid quoting at character %d: %v", pe.Column, pe.Err),
		Hint:    `quote a field that contains quotes and double each inner quote, as in "a ""b"" c"`,
		Err:     err,
	}
	if errors.Is(pe.Err, csv.ErrQuote) && pe.Line > pe.StartLine {
		e.Message = fmt.Sprintf("a quoted field opened in this row is not closed (reading stopped at row %d)", pe.Line)
		e.Hint = "add the closing quote"
	}
	return e
}

// header reads and checks the header row. It returns the trimmed column
// names and the index of the label column.
func (p *parser) header(cr *csv.Reader) ([]string, int, error) {
	rec, err := cr.Read()
	if err == io.EOF {
		return nil, 0, p.errorf(KindEmpty, 0, "", "expected a header row followed by data rows", "file is empty")
	}
	if err != nil {
		return nil, 0, p.syntaxError(err)
	}
	line, _ := cr.FieldPos(0)
	names := make([]string, len(rec))
	seen := make(map[string]int, len(rec))
	for i, field := range rec {
		name := strings.TrimSpace(field)
		if name == "" {
			return nil, 0, p.errorf(KindEmptyColumnName, line, "",
				"give every column a name, a delimiter at the end of the line adds an empty column",
				"header column %d of %d has no name", i+1, len(rec))
		}
		if first, ok := seen[name]; ok {
			return nil, 0, p.errorf(KindDuplicateColumn, line, name, "rename one of them",
				"column name appears twice in the header (columns %d and %d)", first+1, i+1)
		}
		seen[name] = i
		names[i] = name
	}
	if len(names) < 2 {
		return nil, 0, p.errorf(KindTooFewColumns, line, "",
			fmt.Sprintf("the delimiter was %q, give the right one if the file uses another", cr.Comma),
			"header has 1 column %q, need at least one feature column and a label column", names[0])
	}

	label := len(names) - 1
	if p.opts.Label != "" {
		want := strings.TrimSpace(p.opts.Label)
		i, ok := seen[want]
		if !ok {
			return nil, 0, p.errorf(KindUnknownLabel, 0, "", "",
				"label column %q not found, the columns are: %s", want, quoteList(names))
		}
		label = i
	}
	return names, label, nil
}

func quoteList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(quoted, ", ")
}
