// Package training runs the train flow: read and check the data, fit the forest on a
// stratified split, evaluate it on the held-out rows and by cross validation, and
// publish the signed version to the registry.
package training

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/mlops-dev/mlops/pkg/dataset"
	"github.com/mlops-dev/mlops/pkg/evaluate"
	"github.com/mlops-dev/mlops/pkg/forest"
	"github.com/mlops-dev/mlops/pkg/model"
	"github.com/mlops-dev/mlops/pkg/registry"
)

// ErrChecksFailed is returned when a data check failed, or warned under Strict.
var ErrChecksFailed = errors.New("data checks failed")

// Options configures one training run.
type Options struct {
	// Data is the CSV file to read; empty selects the built-in Iris data.
	Data     string
	Read     dataset.ReadOptions
	Params   forest.Params
	TestSize float64
	// CVFolds is the number of cross-validation folds; 0 or 1 skips cross validation.
	CVFolds int
	// Strict makes check warnings fatal.
	Strict bool

	ModelName    string
	Registry     *registry.Registry
	Key          ed25519.PrivateKey
	MLOpsVersion string

	// Progress, when set, is called after each tree of the final model is built.
	Progress func(done, total int)
}

// Result is the outcome of one training run.
type Result struct {
	Name     string         `json:"name"`
	Version  int            `json:"version,omitempty"`
	Spec     model.Spec     `json:"model"`
	Metadata model.Metadata `json:"metadata"`
}

// Run trains, evaluates and publishes one model version. When the checks fail it
// returns the Result (with Metadata.Checks filled) and an error wrapping ErrChecksFailed.
func Run(ctx context.Context, opts Options) (*Result, error) {
	start := time.Now()
	ds, err := load(opts)
	if err != nil {
		return nil, err
	}

	train, test, err := evaluate.StratifiedSplit(ds.Y, opts.TestSize, opts.Params.Seed)
	if err != nil {
		return nil, fmt.Errorf("split %s: %w", ds.Source, err)
	}
	res := &Result{Name: opts.ModelName}
	res.Metadata.Checks = dataset.Check(ds, train, test)
	if err := checkGate(res.Metadata.Checks, opts.Strict); err != nil {
		return res, err
	}

	f, err := forest.Fit(ctx, rows(ds.X, train), labels(ds.Y, train), len(ds.Classes), opts.Params, opts.Progress)
	if err != nil {
		return nil, fmt.Errorf("train forest: %w", err)
	}
	meta := &res.Metadata
	meta.Metrics.Holdout = evaluate.Compute(labels(ds.Y, test), predictAll(f, rows(ds.X, test)), ds.Classes)
	if oob := f.OOBScore(); !math.IsNaN(oob) {
		meta.Metrics.OOB = &oob
	}
	if opts.CVFolds > 1 {
		cv, err := crossValidate(ctx, ds, opts)
		if err != nil {
			return nil, err
		}
		meta.Metrics.CV = cv
	}

	meta.CreatedAt = time.Now().UTC()
	meta.MLOpsVersion = opts.MLOpsVersion
	meta.Algorithm = "random_forest"
	meta.Params = opts.Params
	meta.Data = model.DataInfo{
		Source: ds.Source, SHA256: ds.SHA256, Rows: len(ds.X), Columns: len(ds.Features) + 1,
		Label: ds.Label, Dropped: ds.Dropped, Imputed: ds.Imputed,
		TrainRows: len(train), TestRows: len(test),
	}
	meta.TrainSeconds = time.Since(start).Seconds()
	res.Spec = model.Spec{
		Algorithm: meta.Algorithm, Features: ds.Features, Label: ds.Label,
		Classes: ds.Classes, Stats: dataset.Stats(ds),
	}

	files, err := model.Encode(res.Spec, *meta, f)
	if err != nil {
		return nil, err
	}
	res.Version, err = opts.Registry.Publish(opts.ModelName, files, opts.Key)
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", opts.ModelName, err)
	}
	return res, nil
}

func load(opts Options) (*dataset.Dataset, error) {
	if opts.Data == "" {
		return dataset.Iris(), nil
	}
	return dataset.ReadFile(opts.Data, opts.Read)
}

func checkGate(r dataset.Report, strict bool) error {
	if r.Failures() > 0 {
		return fmt.Errorf("%w: %d failed (see the checks table)", ErrChecksFailed, r.Failures())
	}
	if strict && r.Warnings() > 0 {
		return fmt.Errorf("%w: %d warnings with --strict (see the checks table)", ErrChecksFailed, r.Warnings())
	}
	return nil
}

// crossValidate fits one forest per fold with the run's parameters. Fold models use
// the same seed so that the summary is reproducible.
func crossValidate(ctx context.Context, ds *dataset.Dataset, opts Options) (*model.CVSummary, error) {
	folds, err := evaluate.StratifiedKFold(ds.Y, opts.CVFolds, opts.Params.Seed)
	if err != nil {
		return nil, fmt.Errorf("cross validation: %w", err)
	}
	cv := &model.CVSummary{Folds: len(folds)}
	var f1Sum float64
	for _, testIdx := range folds {
		trainIdx := complement(len(ds.Y), testIdx)
		f, err := forest.Fit(ctx, rows(ds.X, trainIdx), labels(ds.Y, trainIdx), len(ds.Classes), opts.Params, nil)
		if err != nil {
			return nil, fmt.Errorf("cross validation: %w", err)
		}
		m := evaluate.Compute(labels(ds.Y, testIdx), predictAll(f, rows(ds.X, testIdx)), ds.Classes)
		cv.Accuracy = append(cv.Accuracy, m.Accuracy)
		f1Sum += m.MacroF1
	}
	cv.AccuracyMean, cv.AccuracyStd = meanStd(cv.Accuracy)
	cv.MacroF1Mean = f1Sum / float64(len(folds))
	return cv, nil
}

func rows(x [][]float64, idx []int) [][]float64 {
	out := make([][]float64, len(idx))
	for i, j := range idx {
		out[i] = x[j]
	}
	return out
}

func labels(y []int, idx []int) []int {
	out := make([]int, len(idx))
	for i, j := range idx {
		out[i] = y[j]
	}
	return out
}

func complement(n int, idx []int) []int {
	in := make([]bool, n)
	for _, i := range idx {
		in[i] = true
	}
	out := make([]int, 0, n-len(idx))
	for i := range n {
		if !in[i] {
			out = append(out, i)
		}
	}
	return out
}

func predictAll(f *forest.Forest, x [][]float64) []int {
	out := make([]int, len(x))
	for i, row := range x {
		out[i] = f.Predict(row)
	}
	return out
}

// meanStd returns the mean and the population standard deviation (numpy's default
// for std).
func meanStd(v []float64) (float64, float64) {
	var sum float64
	for _, x := range v {
		sum += x
	}
	mean := sum / float64(len(v))
	var sq float64
	for _, x := range v {
		sq += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sq / float64(len(v)))
}
