package cmd

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/client"
)

func init() { register(newPredictCmd) }

type predictOptions struct {
	features  []string
	file      string
	batchSize int
	insecure  bool
	timeout   time.Duration
	// feedback and requestID send a label instead of features; see
	// cmd/feedback.go.
	feedback  string
	requestID string
	row       int
}

func newPredictCmd(f *Factory) *cobra.Command {
	opts := &predictOptions{}
	cmd := &cobra.Command{
		Use:   "predict [VALUE... | -]",
		Short: "Ask the running API for predictions",
		Long: `Predict sends one row of feature values (in the model's order, or by name with
--feature), a CSV file of rows (--file, sent in batches of up to --batch-size rows and
printed as the responses arrive), or JSON on stdin ("-") to the API. It prints the
class index (INDEX, "prediction" in JSON), the class name (CLASS) and the probability of
each class. --output json prints the API's response for one row, and one JSON line per
row with its request_id for several.

Rows of a file or of JSON on stdin are numbered from 0 (ROW, "row" in JSON), as the API
numbers the rows of a batch request. --row of --feedback counts from 0 within one
request, so it equals ROW when all rows fit in one batch (--batch-size).

The API URL and token come from --url/--token, MLOPS_API_URL/MLOPS_API_TOKEN or api.* in
mlops.yaml. Without a token, predict signs a short-lived one itself when it has the
project's auth secret or key. HTTPS is verified against api.ca_cert, else the project's
certs/ca.crt. Put -- before negative values: mlops predict -- -1.5 2 3 4.`,
		Example: `  mlops predict 5.1 3.5 1.4 0.2
  mlops predict --feature sepal_length=5.1 --feature sepal_width=3.5 --feature petal_length=1.4 --feature petal_width=0.2
  mlops predict --file rows.csv --output json > predictions.jsonl
  echo '{"instances": [[5.1,3.5,1.4,0.2], [6.7,3.0,5.2,2.3]]}' | mlops predict -
  mlops predict --feedback setosa --request-id 3f2a9c0e5b7d4e1f8a6c2b9d0e4f7a13`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPredict(cmd, f, opts, args)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.features, "feature", nil, "feature value as NAME=VALUE (repeatable)")
	fl.StringVar(&opts.file, "file", "", `CSV file of rows with or without a header row; "-" reads it from stdin`)
	fl.IntVar(&opts.batchSize, "batch-size", 0, "rows per request (default: serve.max_batch)")
	fl.BoolVar(&opts.insecure, "insecure", false, "skip TLS certificate verification (prints a warning; prefer --ca-cert)")
	fl.DurationVar(&opts.timeout, "timeout", client.DefaultTimeout, "time limit of each request")
	fl.String("url", "", "API URL (default: api.url, MLOPS_API_URL)")
	fl.String("ca-cert", "", "CA certificate that verifies the API (default: api.ca_cert, else certs/ca.crt)")
	fl.String("token", "", "bearer token (default: api.token, MLOPS_API_TOKEN; prefer the variable, flags show in ps)")
	fl.StringVar(&opts.feedback, "feedback", "", "send LABEL as the true class of the prediction --request-id names, instead of predicting")
	fl.StringVar(&opts.requestID, "request-id", "", "request_id of the prediction that --feedback labels")
	fl.IntVar(&opts.row, "row", 0, "row of the batch request that --feedback labels, counted from 0 like ROW")
	return cmd
}

func runPredict(cmd *cobra.Command, f *Factory, opts *predictOptions, args []string) error {
	if opts.feedback != "" || opts.requestID != "" {
		return runPredictFeedback(cmd, f, opts, args)
	}
	req, err := opts.request(args)
	if err != nil {
		return err
	}
	bindAPIFlags(f, cmd)
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	if req.BatchSize == 0 {
		req.BatchSize = cfg.Serve.MaxBatch
	}
	req.Stdin = f.Streams.In
	conn, err := client.Connect(cfg, client.Options{
		Insecure: opts.insecure, Timeout: opts.timeout, Warn: f.Streams.Err,
		MintRoles: []string{auth.RolePredict, auth.RoleRead},
	})
	if err != nil {
		return err
	}
	defer conn.Close()
	return client.Predict(cmd.Context(), conn, f.Streams, req)
}

// request checks that exactly one input is given.
func (o *predictOptions) request(args []string) (client.Request, error) {
	req := client.Request{Features: o.features, File: o.file, BatchSize: o.batchSize}
	if len(args) == 1 && args[0] == "-" {
		req.JSONStdin = true
	} else {
		req.Values = args
	}
	inputs := 0
	for _, given := range []bool{len(req.Values) > 0, len(req.Features) > 0, req.File != "", req.JSONStdin} {
		if given {
			inputs++
		}
	}
	switch {
	case inputs == 0:
		return req, usageErrorf("no input: give feature values, --feature NAME=VALUE, --file rows.csv or - for JSON on stdin")
	case inputs > 1:
		return req, usageErrorf("give only one input: feature values, --feature, --file or -")
	case o.batchSize < 0:
		return req, usageErrorf("--batch-size: %d must be at least 1", o.batchSize)
	}
	if err := client.CheckCommandLine(req); err != nil {
		return req, &UsageError{Err: err}
	}
	return req, nil
}

// bindAPIFlags binds the API connection flags of cmd to the api.* settings.
// predict, token and doctor each have these flags, and one setting can be
// bound to one flag only, so each command binds its own when it runs.
func bindAPIFlags(f *Factory, cmd *cobra.Command) {
	for flag, key := range map[string]string{"url": "api.url", "ca-cert": "api.ca_cert", "token": "api.token"} {
		if fl := cmd.Flags().Lookup(flag); fl != nil {
			f.bindFlag(key, fl)
		}
	}
}
