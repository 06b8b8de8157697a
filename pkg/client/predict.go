package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/ui"
)

// Request is one run of mlops predict. Exactly one input is set: Values,
// Features, File, or JSONStdin.
type Request struct {
	// Values are feature values in the model's order.
	Values []string
	// Features are NAME=VALUE pairs.
	Features []string
	// File is a CSV file of rows; "-" reads the CSV from Stdin.
	File string
	// JSONStdin reads JSON rows from Stdin.
	JSONStdin bool
	Stdin     io.Reader
	// BatchSize is the number of rows per POST /predict/batch; it must not
	// exceed the server's serve.max_batch.
	BatchSize int
}

// rowSource yields rows in chunks; io.EOF ends it.
type rowSource interface {
	next(n int) ([]api.Features, error)
}

type sliceRows struct{ rows []api.Features }

func (s *sliceRows) next(n int) ([]api.Features, error) {
	if len(s.rows) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(s.rows))
	out := s.rows[:n]
	s.rows = s.rows[n:]
	return out, nil
}

// Predict sends the rows of req and writes the predictions to s as they
// arrive, in input order: a table, or JSON with s.JSON (one object for a
// single row, one JSON line per row otherwise).
func Predict(ctx context.Context, c *Conn, s *ui.Streams, req Request) error {
	if err := c.RequireToken(); err != nil {
		return err
	}
	if req.BatchSize < 1 {
		return fmt.Errorf("batch size %d must be at least 1", req.BatchSize)
	}
	switch {
	case len(req.Values) > 0:
		row, err := parseValues(req.Values)
		if err != nil {
			return err
		}
		return predictOne(ctx, c, s, row)
	case len(req.Features) > 0:
		row, err := parseNamed(req.Features)
		if err != nil {
			return err
		}
		return predictOne(ctx, c, s, row)
	case req.JSONStdin:
		rows, err := parseJSONRows(req.Stdin)
		if err != nil {
			return err
		}
		if len(rows) == 1 {
			return predictOne(ctx, c, s, rows[0])
		}
		return predictRows(ctx, c, s, &sliceRows{rows: rows}, req.BatchSize)
	case req.File != "":
		return predictFile(ctx, c, s, req)
	}
	return errors.New("no input: give feature values, --feature NAME=VALUE, --file rows.csv or - for JSON on stdin")
}

func predictFile(ctx context.Context, c *Conn, s *ui.Streams, req Request) error {
	in, source := req.Stdin, "stdin"
	if req.File != "-" {
		fh, err := os.Open(req.File)
		if err != nil {
			return err // *fs.PathError names the operation and the file
		}
		defer fh.Close()
		in, source = fh, req.File
	}
	rows, ignored, err := newCSVRows(in, source, c.modelFeatures(ctx, s))
	if err != nil {
		return err
	}
	if len(ignored) > 0 {
		s.Statusf("%s: ignoring columns the model does not use: %s", source, strings.Join(ignored, ", "))
	}
	return predictRows(ctx, c, s, rows, req.BatchSize)
}

// modelFeatures fetches the feature names from GET /model/info, so that a
// CSV with extra columns (such as the label) can be sent. It returns nil
// when the token lacks the read role or the call fails, and the server then
// checks the names itself.
func (c *Conn) modelFeatures(ctx context.Context, s *ui.Streams) []string {
	info, err := c.API.ModelInfo(ctx)
	if err != nil {
		s.Verbosef("model info unavailable, sending every CSV column: %v", c.Explain(err))
		return nil
	}
	return info.Features
}

func predictOne(ctx context.Context, c *Conn, s *ui.Streams, row api.Features) error {
	resp, err := c.API.Predict(ctx, row)
	if err != nil {
		return c.Explain(err)
	}
	s.Verbosef("model %s:v%d, request id %s", resp.Model.Name, resp.Model.Version, resp.RequestID)
	printWarnings(s, noRow, resp.Warnings)
	if s.JSON {
		return s.WriteJSON(resp)
	}
	w := &rowWriter{s: s, single: true}
	return w.write(0, resp.Prediction, resp.RequestID)
}

// predictRows numbers rows from 0 across all batches, as the API numbers
// the rows of one batch request.
func predictRows(ctx context.Context, c *Conn, s *ui.Streams, src rowSource, batch int) error {
	w := &rowWriter{s: s}
	done := 0
	var model api.ModelRef
	for {
		rows, err := src.next(batch)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		resp, err := c.API.PredictBatch(ctx, rows)
		if err != nil {
			return fmt.Errorf("rows %d to %d: %w", done, done+len(rows)-1, c.Explain(err))
		}
		if len(resp.Predictions) != len(rows) {
			return fmt.Errorf("rows %d to %d: the server returned %d predictions for %d rows",
				done, done+len(rows)-1, len(resp.Predictions), len(rows))
		}
		s.Verbosef("rows %d to %d: request id %s", done, done+len(rows)-1, resp.RequestID)
		for i, p := range resp.Predictions {
			printWarnings(s, done+i, p.Warnings)
			if err := w.write(done+i, p, resp.RequestID); err != nil {
				return err
			}
		}
		done += len(rows)
		model = resp.Model
	}
	if done == 0 {
		return errors.New("no rows to predict")
	}
	s.Statusf("%d rows predicted by %s:v%d", done, model.Name, model.Version)
	return nil
}

// noRow is the row number printWarnings gets for a single prediction.
const noRow = -1

func printWarnings(s *ui.Streams, row int, warnings []api.Warning) {
	for _, w := range warnings {
		if row != noRow {
			s.Statusf("warning: row %d: %s", row, w.Message)
		} else {
			s.Statusf("warning: %s", w.Message)
		}
	}
}

// rowResult is one line of JSON output for a batch. Row counts from 0
// across all batches, and RequestID is the ID of the row's batch request.
type rowResult struct {
	Row       int    `json:"row"`
	RequestID string `json:"request_id"`
	api.Prediction
}

// rowWriter prints predictions as they arrive. Columns are sized from the
// first prediction's class names, so every row lines up without buffering.
type rowWriter struct {
	s       *ui.Streams
	single  bool
	classes []string
	widths  []int
}

func (w *rowWriter) write(row int, p api.Prediction, requestID string) error {
	if w.s.JSON {
		return json.NewEncoder(w.s.Out).Encode(rowResult{Row: row, RequestID: requestID, Prediction: p})
	}
	if w.classes == nil {
		w.start(p)
	}
	cells := []string{fmt.Sprint(p.Index), p.Class}
	if !w.single {
		cells = append([]string{fmt.Sprint(row)}, cells...)
	}
	for _, cl := range w.classes {
		cells = append(cells, fmt.Sprintf("%.4f", p.Probabilities[cl]))
	}
	w.line(cells)
	return nil
}

func (w *rowWriter) start(p api.Prediction) {
	for cl := range p.Probabilities {
		w.classes = append(w.classes, cl)
	}
	sort.Strings(w.classes)
	header := []string{"INDEX", "CLASS"}
	if !w.single {
		header = append([]string{"ROW"}, header...)
	}
	nameWidth := len(p.Class)
	for _, cl := range w.classes {
		header = append(header, "P("+cl+")")
		nameWidth = max(nameWidth, len(cl))
	}
	w.widths = make([]int, len(header))
	for i, h := range header {
		w.widths[i] = max(len(h), 6)
	}
	w.widths[len(header)-len(w.classes)-1] = max(nameWidth, 4)
	w.line(header)
}

func (w *rowWriter) line(cells []string) {
	var b strings.Builder
	for i, c := range cells {
		if i == len(cells)-1 {
			b.WriteString(c)
			break
		}
		fmt.Fprintf(&b, "%-*s  ", w.widths[i], c)
	}
	fmt.Fprintln(w.s.Out, b.String())
}
