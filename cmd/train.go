package cmd

import (
	"errors"
	"fmt"
	"os"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/mlops-dev/mlops/pkg/dataset"
	"github.com/mlops-dev/mlops/pkg/registry"
	"github.com/mlops-dev/mlops/pkg/training"
)

func init() { register(newTrainCmd) }

type trainOptions struct {
	data        string
	label       string
	delimiter   string
	missing     string
	strict      bool
	maxFeatures int
	workers     int
}

func newTrainCmd(f *Factory) *cobra.Command {
	opts := &trainOptions{}
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train, evaluate, sign and register a model from a CSV file",
		Long: `Train reads a CSV file with a header row (the built-in Iris data when --data is not
given), checks the data, fits a random forest on a stratified split, evaluates it on
the held-out rows and by cross validation, and writes a signed version to the registry.`,
		Example: `  mlops train
  mlops train --data wine.csv --label class --trees 200 --seed 7
  mlops train --data sensors.csv --missing mean --strict`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTrain(cmd, f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.data, "data", "", "CSV file with a header row (default: built-in Iris)")
	fl.StringVar(&opts.label, "label", "", "label column name (default: the last column)")
	fl.StringVar(&opts.delimiter, "delimiter", "", `field delimiter: ",", ";" or "\t" (default: detected)`)
	fl.StringVar(&opts.missing, "missing", "error", "missing values (empty, NA, NaN, ?): error, drop or mean")
	fl.BoolVar(&opts.strict, "strict", false, "treat data check warnings as errors")
	fl.IntVar(&opts.maxFeatures, "max-features", 0, "features tried at each split (default: square root of the feature count)")
	fl.IntVar(&opts.workers, "workers", 0, "goroutines building trees (default: all cores)")
	fl.Int("trees", 100, "number of trees")
	fl.Int("max-depth", 0, "maximum tree depth (0: unlimited)")
	fl.Int("min-samples-leaf", 1, "minimum rows in a leaf")
	fl.Int64("seed", 42, "random seed; the same seed and data give a bit-identical model")
	fl.Float64("test-size", 0.2, "fraction of rows held out for evaluation")
	fl.Int("cv", 5, "folds of stratified cross validation (0 or 1: skip)")
	fl.String("name", "iris", "model name in the registry")
	for flag, key := range map[string]string{
		"trees": "train.trees", "max-depth": "train.max_depth", "min-samples-leaf": "train.min_samples_leaf",
		"seed": "train.seed", "test-size": "train.test_size", "cv": "train.cv", "name": "models.name",
	} {
		f.bindFlag(key, fl.Lookup(flag))
	}
	return cmd
}

func runTrain(cmd *cobra.Command, f *Factory, opts *trainOptions) error {
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	read, err := opts.readOptions()
	if err != nil {
		return err
	}
	if cfg.Train.TestSize <= 0 || cfg.Train.TestSize >= 1 {
		return usageErrorf("--test-size: %g must be between 0 and 1", cfg.Train.TestSize)
	}
	params := trainParams(cfg)
	params.MaxFeatures, params.Workers = opts.maxFeatures, opts.workers
	// A --max-features above the feature count depends on the data, so
	// training reports it later as a plain error.
	if err := params.Validate(); err != nil {
		return &UsageError{Err: err}
	}
	// A missing data file is reported before a signing key is generated for nothing.
	if opts.data != "" {
		if _, err := os.Stat(opts.data); err != nil {
			return fmt.Errorf("--data: %w", err)
		}
	}
	key, err := loadOrCreateSigningKey(f, cfg)
	if err != nil {
		return err
	}

	progress := f.Streams.NewProgress("training", params.Trees)
	res, err := training.Run(cmd.Context(), training.Options{
		Data: opts.data, Read: read, Params: params,
		TestSize: cfg.Train.TestSize, CVFolds: cfg.Train.CVFolds, Strict: opts.strict,
		ModelName: cfg.Models.Name, Registry: registry.Open(cfg.Path(cfg.Models.Dir)),
		Key: key, MLOpsVersion: f.Version, Progress: progress.Set,
	})
	if errors.Is(err, training.ErrChecksFailed) && res != nil {
		training.RenderChecks(f.Streams, res.Metadata.Checks)
	}
	if err != nil {
		return err
	}
	progress.Done(fmt.Sprintf("trained %s:v%d in %.2fs, signed and saved under %s",
		res.Name, res.Version, res.Metadata.TrainSeconds, cfg.Path(cfg.Models.Dir)))
	return training.Render(f.Streams, res)
}

func (o *trainOptions) readOptions() (dataset.ReadOptions, error) {
	r := dataset.ReadOptions{Label: o.label, Source: o.data}
	switch o.missing {
	case "error", "drop", "mean":
		r.Missing = dataset.MissingPolicy(o.missing)
	default:
		return r, usageErrorf("--missing: %q is not a policy; use error, drop or mean", o.missing)
	}
	switch o.delimiter {
	case "":
	case `\t`, "tab":
		r.Delimiter = '\t'
	default:
		d, size := utf8.DecodeRuneInString(o.delimiter)
		if size != len(o.delimiter) || (d != ',' && d != ';' && d != '\t') {
			return r, usageErrorf(`--delimiter: %q is not supported; use ",", ";" or "\t"`, o.delimiter)
		}
		r.Delimiter = d
	}
	return r, nil
}
