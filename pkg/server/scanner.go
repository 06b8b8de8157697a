package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxDepth bounds JSON nesting so a deeply nested body cannot exhaust the
// stack. Valid requests nest at most four levels.
const maxDepth = 32

// maxObjectMembers bounds the members of an object that the request
// schema does not define, such as v2 "parameters" or a value that is
// skipped only to report an error. Named feature rows are bounded by the
// model's feature count instead, because unknown and repeated names are
// rejected as they are read.
const maxObjectMembers = 1000

// scanner is a strict, validating reader over one JSON document. It exists
// because encoding/json accepts duplicate object keys and matches field
// names case-insensitively, and both would let an ambiguous request through.
type scanner struct {
	data []byte
	pos  int
	// foldKeys makes keys that differ only in case duplicates.
	foldKeys bool
	// keyProbes counts the key comparisons and map lookups of the
	// duplicate check, so a test can bound its work.
	keyProbes int
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte without consuming it, or 0 at the end.
func (s *scanner) peek() byte {
	s.skipSpace()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

func (s *scanner) syntaxError(expected string) *Error {
	if s.pos >= len(s.data) {
		return badRequest(CodeInvalidJSON, "invalid JSON: unexpected end of input, expected %s", expected)
	}
	return badRequest(CodeInvalidJSON, "invalid JSON at offset %d: expected %s, found %q",
		s.pos, expected, s.data[s.pos])
}

// expect consumes c after optional space.
func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		return s.syntaxError(strconv.QuoteRune(rune(c)))
	}
	s.pos++
	return nil
}

// end checks that nothing but space follows the document.
func (s *scanner) end() error {
	if s.peek() != 0 {
		return badRequest(CodeTrailingData, "unexpected data after the JSON value at offset %d", s.pos)
	}
	return nil
}

// readString reads a JSON string and returns its decoded value.
func (s *scanner) readString() (string, error) {
	if s.peek() != '"' {
		return "", s.syntaxError("a string")
	}
	start := s.pos
	s.pos++
	escaped := false
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			raw := s.data[start:s.pos]
			if !escaped {
				return string(raw[1 : len(raw)-1]), nil
			}
			var out string
			if err := json.Unmarshal(raw, &out); err != nil {
				return "", badRequest(CodeInvalidJSON, "invalid JSON string at offset %d", start)
			}
			return out, nil
		case c == '\\':
			escaped = true
			s.pos += 2
		case c < 0x20:
			return "", badRequest(CodeInvalidJSON, "invalid JSON: control character in string at offset %d", s.pos)
		default:
			s.pos++
		}
	}
	s.pos = len(s.data)
	return "", s.syntaxError("closing '\"'")
}

// numberToken consumes a JSON number and returns its bytes.
func (s *scanner) numberToken() ([]byte, error) {
	start := s.pos
	d := s.data
	i := s.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		i = skipDigits(d, i)
	default:
		s.pos = i
		return nil, s.syntaxError("a digit")
	}
	if i < len(d) && d[i] == '.' {
		j := skipDigits(d, i+1)
		if j == i+1 {
			s.pos = j
			return nil, s.syntaxError("a digit after '.'")
		}
		i = j
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := skipDigits(d, i)
		if j == i {
			s.pos = j
			return nil, s.syntaxError("a digit in the exponent")
		}
		i = j
	}
	s.pos = i
	return d[start:i], nil
}

func skipDigits(d []byte, i int) int {
	for i < len(d) && d[i] >= '0' && d[i] <= '9' {
		i++
	}
	return i
}

// readFloat reads a value that must be a finite JSON number. field builds
// the name of the value for an error message; it is only called on error so
// the happy path does not allocate.
func (s *scanner) readFloat(field func() string) (float64, error) {
	c := s.peek()
	if c != '-' && (c < '0' || c > '9') {
		kind := kindName(c)
		if kind == "" {
			return 0, s.syntaxError("a JSON value")
		}
		if err := s.skipValue(field, 0); err != nil {
			return 0, err
		}
		return 0, badRequest(CodeInvalidValue, "%s: must be a finite number, got %s", field(), kind)
	}
	tok, err := s.numberToken()
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseFloat(string(tok), 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, badRequest(CodeInvalidValue, "%s: number %.40s is out of range for a 64-bit float", field(), tok)
	}
	return v, nil
}

// kindName names the JSON type of a value starting with c, or returns ""
// when c cannot start a value.
func kindName(c byte) string {
	switch c {
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "a number"
	}
	return ""
}

// skipValue consumes any JSON value, checking objects inside it for
// duplicate keys. path names the value in error messages.
func (s *scanner) skipValue(path func() string, depth int) error {
	if depth > maxDepth {
		return badRequest(CodeInvalidJSON, "invalid JSON: nesting deeper than %d levels at offset %d", maxDepth, s.pos)
	}
	switch c := s.peek(); {
	case c == '{':
		return s.skipObject(path, depth)
	case c == '[':
		return s.eachElement(func(i int) error {
			return s.skipValue(func() string { return indexPath(path(), i) }, depth+1)
		})
	case c == '"':
		_, err := s.readString()
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := s.numberToken()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		return s.syntaxError("a JSON value")
	}
}

func (s *scanner) literal(word string) error {
	if !bytes.HasPrefix(s.data[s.pos:], []byte(word)) {
		return s.syntaxError(strconv.Quote(word))
	}
	s.pos += len(word)
	return nil
}

func (s *scanner) skipObject(path func() string, depth int) error {
	members := 0
	return s.eachMember(path, func(key string) error {
		members++
		if members > maxObjectMembers {
			return badRequest(CodeInvalidValue, "%s: object has more than %d members",
				pathOrBody(path()), maxObjectMembers)
		}
		return s.skipValue(func() string { return joinKey(path(), key) }, depth+1)
	})
}

// eachMember reads an object, rejects duplicate keys and calls fn with the
// scanner positioned at each member's value, which fn must consume.
func (s *scanner) eachMember(path func() string, fn func(key string) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	seen := keySet{fold: s.foldKeys}
	defer func() { s.keyProbes += seen.probes }()
	for {
		key, err := s.readString()
		if err != nil {
			return err
		}
		if seen.add(key) {
			return badRequest(CodeDuplicateKey, "%s: duplicate key", joinKey(path(), key))
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := fn(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.syntaxError("',' or '}'")
		}
	}
}

// eachElement reads an array and calls fn with the scanner positioned at
// each element, which fn must consume.
func (s *scanner) eachElement(fn func(i int) error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.pos++
		return nil
	}
	for i := 0; ; i++ {
		if err := fn(i); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.syntaxError("',' or ']'")
		}
	}
}

// rootPath names the whole document in error messages.
func rootPath() string { return "" }

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// joinKey is joinPath for a key taken from the request, which is shown
// only when it is short and printable. A long key may be a secret sent in
// the wrong place, such as a form body posted as JSON.
func joinKey(path, key string) string {
	return joinPath(path, displayKey(key))
}

// maxShownKeyBytes is the longest submitted key that error messages quote.
// It is below the 43 bytes of a generated client secret.
const maxShownKeyBytes = 32

// displayKey returns key when it has at most maxShownKeyBytes bytes of
// printable text, and a description of its length otherwise.
func displayKey(key string) string {
	printable := utf8.ValidString(key) && strings.IndexFunc(key, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
	if len(key) <= maxShownKeyBytes && printable {
		return key
	}
	return fmt.Sprintf("<key of %d bytes>", len(key))
}

// pathOrBody names the value at path, or the whole body for the root.
func pathOrBody(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// checkDuplicateKeys validates data as one JSON document without duplicate
// object keys and without trailing data. With foldKeys, keys that differ
// only in case count as duplicates.
func checkDuplicateKeys(data []byte, foldKeys bool) error {
	s := scanner{data: data, foldKeys: foldKeys}
	if err := s.skipValue(rootPath, 0); err != nil {
		return err
	}
	return s.end()
}

// describeJSONError turns an encoding/json error into a client message.
func describeJSONError(err error) *Error {
	switch e := err.(type) {
	case *json.SyntaxError:
		return badRequest(CodeInvalidJSON, "invalid JSON at offset %d: %v", e.Offset, e)
	case *json.UnmarshalTypeError:
		return badRequest(CodeInvalidValue, "%s: must be %s, got JSON %s", e.Field, e.Type, e.Value)
	}
	msg := err.Error()
	const unknown = "json: unknown field "
	if quoted, ok := strings.CutPrefix(msg, unknown); ok {
		name, uerr := strconv.Unquote(quoted)
		if uerr != nil {
			name = quoted
		}
		return badRequest(CodeUnknownField, "unknown field %q", displayKey(name))
	}
	return &Error{Status: 400, Code: CodeInvalidJSON, Message: fmt.Sprintf("invalid JSON: %v", err)}
}
