package cmd

import (
	"github.com/spf13/cobra"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/ui"
)

func init() { register(newFeedbackCmd) }

type feedbackOptions struct {
	apiConnOptions
	requestID string
	row       int
}

func newFeedbackCmd(f *Factory) *cobra.Command {
	opts := &feedbackOptions{}
	cmd := &cobra.Command{
		Use:   "feedback --request-id ID LABEL",
		Short: "Send the true label of an earlier prediction to the running API",
		Long: `Feedback tells the API the true class of a prediction it made, identified by the
request_id of the prediction's response (and --row for a row of a batch). The API pairs
the label with its prediction and updates the model version's live accuracy
(mlops_live_accuracy). Sending the same label twice counts once. Needs the feedback or
admin role; connection settings are those of mlops predict.`,
		Example: `  mlops feedback --request-id 3f2a9c0e5b7d4e1f8a6c2b9d0e4f7a13 setosa
  mlops feedback --request-id 3f2a9c0e5b7d4e1f8a6c2b9d0e4f7a13 --row 4 virginica`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("give one LABEL, the true class name of the prediction; got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.requestID == "" {
				return usageErrorf("--request-id: missing; give the request_id of the prediction's response")
			}
			if opts.row < 0 {
				return usageErrorf("--row: %d must be 0 or more", opts.row)
			}
			req := api.FeedbackRequest{RequestID: opts.requestID, Row: opts.row, Label: args[0]}
			return sendFeedback(cmd, f, &opts.apiConnOptions, req)
		},
	}
	cmd.Flags().StringVar(&opts.requestID, "request-id", "", "request_id of the prediction's response")
	cmd.Flags().IntVar(&opts.row, "row", 0, "row of a batch request, counted from 0")
	opts.addFlags(cmd)
	return cmd
}

// runPredictFeedback runs mlops predict --feedback LABEL --request-id ID,
// the same as mlops feedback --request-id ID LABEL.
func runPredictFeedback(cmd *cobra.Command, f *Factory, opts *predictOptions, args []string) error {
	switch {
	case opts.feedback == "":
		return usageErrorf("--request-id: give the true class with --feedback LABEL")
	case opts.requestID == "":
		return usageErrorf("--feedback: missing --request-id; give the request_id of the prediction's response")
	case len(args) > 0 || len(opts.features) > 0 || opts.file != "":
		return usageErrorf("--feedback sends a label, so give no feature values, --feature or --file with it")
	case opts.row < 0:
		return usageErrorf("--row: %d must be 0 or more", opts.row)
	}
	conn := &apiConnOptions{insecure: opts.insecure, timeout: opts.timeout}
	req := api.FeedbackRequest{RequestID: opts.requestID, Row: opts.row, Label: opts.feedback}
	return sendFeedback(cmd, f, conn, req)
}

func sendFeedback(cmd *cobra.Command, f *Factory, o *apiConnOptions, req api.FeedbackRequest) error {
	conn, err := o.connect(cmd, f, auth.RoleFeedback)
	if err != nil {
		return err
	}
	defer conn.Close()
	res, err := conn.API.Feedback(cmd.Context(), req)
	if err != nil {
		return conn.Explain(err)
	}
	return renderFeedback(f.Streams, res)
}

func renderFeedback(s *ui.Streams, res *api.FeedbackResponse) error {
	if s.JSON {
		return s.WriteJSON(res)
	}
	verdict := "wrong"
	if res.Correct {
		verdict = "correct"
	}
	t := &ui.Table{Headers: []string{"REQUEST", "ROW", "VERSION", "PREDICTED", "LABEL", "RESULT"}}
	t.AddRow(res.RequestID, res.Row, res.ModelVersion, res.Predicted, res.Label, verdict)
	s.Render(t)
	if res.Repeated {
		s.Statusf("this prediction already had label %s; it was counted once", res.Label)
	}
	return nil
}
