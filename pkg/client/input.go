package client

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/mlops-dev/mlops/pkg/api"
)

// CheckCommandLine reports a malformed value given on the command line (positional
// values or --feature pairs) before any connection is made, so that the caller can
// treat it as a usage error.
func CheckCommandLine(req Request) error {
	if len(req.Values) > 0 {
		if _, err := parseValues(req.Values); err != nil {
			return err
		}
	}
	if len(req.Features) > 0 {
		if _, err := parseNamed(req.Features); err != nil {
			return err
		}
	}
	return nil
}

// parseValues reads positional feature values in the model's order.
func parseValues(args []string) (api.Features, error) {
	values := make([]float64, len(args))
	for i, a := range args {
		v, err := parseNumber(a)
		if err != nil {
			return api.Features{}, fmt.Errorf("value %d: %w", i+1, err)
		}
		values[i] = v
	}
	return api.Features{Values: values}, nil
}

// parseNamed reads name=value pairs.
func parseNamed(pairs []string) (api.Features, error) {
	named := make(map[string]float64, len(pairs))
	for _, p := range pairs {
		name, raw, ok := strings.Cut(p, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return api.Features{}, fmt.Errorf("--feature %q: want NAME=VALUE", p)
		}
		if _, dup := named[name]; dup {
			return api.Features{}, fmt.Errorf("--feature %s is given twice", name)
		}
		v, err := parseNumber(raw)
		if err != nil {
			return api.Features{}, fmt.Errorf("--feature %s: %w", name, err)
		}
		named[name] = v
	}
	return api.Features{Named: named}, nil
}

func parseNumber(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	return v, nil
}

// parseJSONRows reads JSON from stdin: {"features": ...}, {"instances":
// [...]}, one row as an array or object, or an array of rows.
func parseJSONRows(r io.Reader) ([]api.Features, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read stdin: %w", err)
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, errors.New("stdin: no JSON input")
	}
	var envelope struct {
		Features  *api.Features  `json:"features"`
		Instances []api.Features `json:"instances"`
	}
	if data[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if dec.Decode(&envelope) == nil && (envelope.Features != nil || envelope.Instances != nil) {
			if envelope.Features != nil {
				return []api.Features{*envelope.Features}, nil
			}
			return envelope.Instances, nil
		}
		var row api.Features
		if err := json.Unmarshal(data, &row); err != nil {
			return nil, fmt.Errorf("stdin: %w", err)
		}
		return []api.Features{row}, nil
	}
	var rows []api.Features
	if err := json.Unmarshal(data, &rows); err == nil {
		return rows, nil
	}
	var row api.Features
	if err := json.Unmarshal(data, &row); err != nil {
		return nil, fmt.Errorf("stdin: want a JSON array of numbers, an object of name: number, or a list of them: %w", err)
	}
	return []api.Features{row}, nil
}

// csvRows reads a CSV file in chunks. A first row of numbers only is data,
// sent as positional values. Any other first row is a header, and each row
// is then sent by feature name, with only the model's features when known.
type csvRows struct {
	r      *csv.Reader
	source string
	// columns maps a kept column index to its feature name; nil means
	// positional rows.
	columns map[int]string
	pending []string // a first row that turned out to be data
	line    int
}

func newCSVRows(r io.Reader, source string, features []string) (*csvRows, []string, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	cr.TrimLeadingSpace = true
	first, err := cr.Read()
	if err == io.EOF {
		return nil, nil, fmt.Errorf("%s: empty file", source)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", source, err)
	}
	first[0] = strings.TrimPrefix(first[0], "\ufeff")
	c := &csvRows{r: cr, source: source, line: 1}
	if allNumbers(first) {
		c.pending = first
		return c, nil, nil
	}
	ignored, err := c.mapHeader(first, features)
	return c, ignored, err
}

func (c *csvRows) mapHeader(header, features []string) ([]string, error) {
	c.columns = map[int]string{}
	var ignored []string
	for i, name := range header {
		name = strings.TrimSpace(name)
		if len(features) > 0 && !slices.Contains(features, name) {
			ignored = append(ignored, name)
			continue
		}
		c.columns[i] = name
	}
	for _, f := range features {
		if !slices.Contains(header, f) {
			return nil, fmt.Errorf("%s: header has no column %q; the model needs %s", c.source, f, strings.Join(features, ", "))
		}
	}
	return ignored, nil
}

func allNumbers(rec []string) bool {
	for _, s := range rec {
		if _, err := parseNumber(s); err != nil {
			return false
		}
	}
	return true
}

// next returns up to n rows, or io.EOF when none are left.
func (c *csvRows) next(n int) ([]api.Features, error) {
	var rows []api.Features
	for len(rows) < n {
		rec, err := c.read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		row, err := c.convert(rec)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, io.EOF
	}
	return rows, nil
}

func (c *csvRows) read() ([]string, error) {
	if c.pending != nil {
		rec := c.pending
		c.pending = nil
		return rec, nil
	}
	rec, err := c.r.Read()
	if err == io.EOF {
		return nil, err
	}
	c.line, _ = c.r.FieldPos(0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.source, err)
	}
	return rec, nil
}

func (c *csvRows) convert(rec []string) (api.Features, error) {
	if c.columns == nil {
		row, err := parseValues(rec)
		if err != nil {
			return row, fmt.Errorf("%s:%d: %w", c.source, c.line, err)
		}
		return row, nil
	}
	named := make(map[string]float64, len(c.columns))
	for i, name := range c.columns {
		v, err := parseNumber(rec[i])
		if err != nil {
			return api.Features{}, fmt.Errorf("%s:%d: column %s: %w", c.source, c.line, name, err)
		}
		named[name] = v
	}
	return api.Features{Named: named}, nil
}
