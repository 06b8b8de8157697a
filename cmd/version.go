package cmd

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

func init() { register(newVersionCmd) }

func newVersionCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and commit of this binary",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.Streams.JSON {
				return f.Streams.WriteJSON(map[string]string{
					"version": f.Version, "commit": f.Commit, "go": runtime.Version(),
				})
			}
			_, err := fmt.Fprintf(f.Streams.Out, "mlops %s (commit %s, %s)\n", f.Version, f.Commit, runtime.Version())
			return err
		},
	}
}
