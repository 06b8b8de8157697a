package cmd

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlops-dev/mlops/pkg/api"
)

func init() { register(newHealthCmd) }

// newHealthCmd is the container health check of the api image, which is FROM scratch
// and so has no shell or curl.
func newHealthCmd(f *Factory) *cobra.Command {
	var url string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Exit 0 when the API at --url answers its health endpoint (for container health checks)",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return api.Probe(ctx, url)
		},
	}
	cmd.Flags().StringVar(&url, "url", "http://127.0.0.1:8080/health", "URL that must answer 200")
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "time to wait for the answer")
	return cmd
}
