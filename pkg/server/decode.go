package server

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
)

// readBody reads the whole request body under the size cap set by the
// body-cap middleware. A request whose Content-Type is set to anything but
// JSON is rejected, which also stops browsers from posting HTML forms to the
// API.
func readBody(r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return nil, &Error{
				Status:  http.StatusUnsupportedMediaType,
				Code:    CodeUnsupportedMediaType,
				Message: "Content-Type must be application/json",
			}
		}
	}
	return io.ReadAll(r.Body)
}

// decodePredict parses {"features": ROW} into row, which has one entry per
// model feature. ROW is an array in feature order or an object keyed by
// feature name.
func decodePredict(body []byte, l *loaded, row []float64) error {
	s := scanner{data: body}
	if s.peek() != '{' {
		return notAnObject(&s)
	}
	found := false
	err := s.eachMember(rootPath, func(key string) error {
		if key != "features" {
			return badRequest(CodeUnknownField, "unknown field %q; the body has one field, \"features\"",
				displayKey(key))
		}
		found = true
		return s.readRow(l, row, func() string { return "features" })
	})
	if err != nil {
		return err
	}
	if !found {
		return badRequest(CodeMissingField,
			`features: missing; send {"features": [%d numbers]} or {"features": {"name": number, ...}}`,
			l.numFeatures())
	}
	return s.end()
}

// decodeBatch parses {"instances": [ROW, ...]} and returns the rows
// back to back in one slice, numFeatures values per row.
func decodeBatch(body []byte, l *loaded, maxRows int) ([]float64, int, error) {
	s := scanner{data: body}
	if s.peek() != '{' {
		return nil, 0, notAnObject(&s)
	}
	var values []float64
	rows := -1
	err := s.eachMember(rootPath, func(key string) error {
		if key != "instances" {
			return badRequest(CodeUnknownField, "unknown field %q; the body has one field, \"instances\"",
				displayKey(key))
		}
		var err error
		values, rows, err = s.readRows(l, maxRows)
		return err
	})
	switch {
	case err != nil:
		return nil, 0, err
	case rows < 0:
		return nil, 0, badRequest(CodeMissingField, `instances: missing; send {"instances": [ROW, ...]}`)
	case rows == 0:
		return nil, 0, badRequest(CodeMissingField, "instances: empty; send at least one row")
	}
	return values, rows, s.end()
}

func (s *scanner) readRows(l *loaded, maxRows int) ([]float64, int, error) {
	if c := s.peek(); c != '[' {
		return nil, 0, s.wrongType("instances", "an array of rows", c)
	}
	nf := l.numFeatures()
	values := make([]float64, 0, 16*nf)
	rows := 0
	err := s.eachElement(func(i int) error {
		if i >= maxRows {
			return badRequest(CodeBatchTooLarge, "instances: more than %d rows; send at most %d per request",
				maxRows, maxRows)
		}
		values = append(values, make([]float64, nf)...)
		rows++
		return s.readRow(l, values[i*nf:(i+1)*nf], func() string { return indexPath("instances", i) })
	})
	return values, rows, err
}

// readRow reads one row, an array in feature order or an object keyed by
// feature name, into row.
func (s *scanner) readRow(l *loaded, row []float64, path func() string) error {
	switch c := s.peek(); c {
	case '[':
		return s.readPositional(l, row, path)
	case '{':
		return s.readNamed(l, row, path)
	default:
		return s.wrongType(path(), "an array of numbers or an object of feature values", c)
	}
}

func (s *scanner) readPositional(l *loaded, row []float64, path func() string) error {
	n := 0
	err := s.eachElement(func(i int) error {
		n++
		if i >= len(row) {
			return s.skipValue(path, 1)
		}
		v, err := s.readFloat(func() string { return indexPath(path(), i) })
		row[i] = v
		return err
	})
	if err != nil {
		return err
	}
	if n != len(row) {
		return badRequest(CodeFeatureCount, "%s: expected %d values (%s), got %d",
			path(), len(row), l.featureList, n)
	}
	return nil
}

func (s *scanner) readNamed(l *loaded, row []float64, path func() string) error {
	// seen is on the stack for models of up to 64 features.
	var buf [64]bool
	seen := buf[:0]
	if len(row) <= len(buf) {
		seen = buf[:len(row)]
	} else {
		seen = make([]bool, len(row))
	}
	err := s.eachMember(path, func(key string) error {
		i, ok := l.index[key]
		if !ok {
			return badRequest(CodeUnknownFeature, "%s: unknown feature; expected %s",
				joinKey(path(), key), l.featureList)
		}
		seen[i] = true
		v, err := s.readFloat(func() string { return joinKey(path(), key) })
		row[i] = v
		return err
	})
	if err != nil {
		return err
	}
	for i, ok := range seen {
		if !ok {
			return badRequest(CodeMissingFeature, "%s: missing", joinPath(path(), l.m.Spec.Features[i]))
		}
	}
	return nil
}

func (s *scanner) wrongType(field, want string, c byte) error {
	kind := kindName(c)
	if kind == "" {
		return s.syntaxError("a JSON value")
	}
	return badRequest(CodeInvalidValue, "%s: must be %s, got %s", field, want, kind)
}

func notAnObject(s *scanner) error {
	c := s.peek()
	if c == 0 {
		return badRequest(CodeInvalidJSON, "empty body; send a JSON object")
	}
	return s.wrongType("body", "a JSON object", c)
}

// decodeStrict decodes one JSON document into v with encoding/json, after
// rejecting duplicate keys and trailing data, and rejects unknown fields.
// It serves the bodies with nested structure (v2 infer, token). The
// predict bodies use the scanner directly.
//
// encoding/json matches field names case-insensitively, so the duplicate
// check folds case too: {"inputs": ..., "Inputs": ...} is rejected rather
// than letting the later value win.
// NOTE: a single key in another case, such as "Inputs", is still accepted.
func decodeStrict(body []byte, v any) error {
	if err := checkDuplicateKeys(body, true); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describeJSONError(err)
	}
	return nil
}
