package cmd

import (
	"github.com/spf13/cobra"

	"github.com/mlops-dev/mlops/pkg/demo"
)

func init() { register(newDemoCmd) }

func newDemoCmd(f *Factory) *cobra.Command {
	opts := demo.Options{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole job on the built-in Iris data, with no Docker and no Redis",
		Long: `Demo trains a random forest on the built-in Iris data into DIR (default ./mlops-demo),
signs and verifies it, prints the evaluation, then serves it on loopback, issues a token,
makes a real prediction over HTTP and prints a curl line to repeat it.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.MLOpsVersion = f.Version
			return demo.Run(cmd.Context(), f.Streams, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Dir, "dir", "mlops-demo", "project folder for the demo's keys and models")
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:8080", "loopback address to serve on (a free port when taken)")
	cmd.Flags().BoolVar(&opts.Once, "once", false, "stop after the demo prediction instead of serving until Ctrl-C")
	return cmd
}
