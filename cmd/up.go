package cmd

import (
	"github.com/spf13/cobra"

	"github.com/mlops-dev/mlops/pkg/deploy"
	"github.com/mlops-dev/mlops/pkg/stack"
)

func init() {
	register(newUpCmd)
	register(newDownCmd)
	register(newStatusCmd)
	register(newRestartCmd)
	register(newLogsCmd)
}

// stackCommand builds a command that loads the config and runs one deploy function.
func stackCommand(use, short string, args cobra.PositionalArgs, opts *deploy.Options,
	run func(cmd *cobra.Command, args []string) error) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: args, RunE: run}
	cmd.Flags().StringSliceVar(&opts.Skip, "skip", nil, "services to leave out (repeatable), e.g. one whose image is missing")
	return cmd
}

func newUpCmd(f *Factory) *cobra.Command {
	opts := &deploy.Options{}
	cmd := stackCommand("up", "Create or update the project's stack from docker-compose.yml and wait until it is healthy",
		exactArgs(0), opts, func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			opts.Version = f.Version
			return deploy.Up(cmd.Context(), f.Streams, cfg, *opts)
		})
	cmd.Long = `Up reads docker-compose.yml with compose-go, builds the api image from this binary
(FROM scratch, no base image pull), creates networks and volumes, and starts services in
dependency order, waiting for each health check. Running it again leaves unchanged
services alone and recreates only those whose configuration changed.`
	cmd.Flags().DurationVar(&opts.WaitTimeout, "wait-timeout", stack.DefaultWaitTimeout, "time to wait for every service to be healthy")
	return cmd
}

func newDownCmd(f *Factory) *cobra.Command {
	opts := &deploy.Options{}
	cmd := stackCommand("down", "Stop and remove the project's containers and networks (volumes stay unless --volumes)",
		exactArgs(0), opts, func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			return deploy.Down(cmd.Context(), f.Streams, cfg, *opts)
		})
	cmd.Flags().BoolVar(&opts.Volumes, "volumes", false, "also remove the project's volumes and the data in them")
	return cmd
}

func newStatusCmd(f *Factory) *cobra.Command {
	opts := &deploy.Options{}
	return stackCommand("status", "Show each service's container, state, health, ports, image and URL",
		exactArgs(0), opts, func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			return deploy.Status(cmd.Context(), f.Streams, cfg, *opts)
		})
}

func newRestartCmd(f *Factory) *cobra.Command {
	opts := &deploy.Options{}
	cmd := stackCommand("restart [SERVICE...]", "Restart running services and wait for their health checks",
		cobra.ArbitraryArgs, opts, func(cmd *cobra.Command, args []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			opts.Services = args
			return deploy.Restart(cmd.Context(), f.Streams, cfg, *opts)
		})
	cmd.Flags().DurationVar(&opts.WaitTimeout, "wait-timeout", stack.DefaultWaitTimeout, "time to wait for health after the restart")
	return cmd
}

func newLogsCmd(f *Factory) *cobra.Command {
	opts := &deploy.Options{}
	cmd := stackCommand("logs [SERVICE...]", "Print service logs, each line prefixed by its service",
		cobra.ArbitraryArgs, opts, func(cmd *cobra.Command, args []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			opts.Services = args
			return deploy.Logs(cmd.Context(), f.Streams, cfg, *opts, f.Streams.Out)
		})
	cmd.Flags().BoolVarP(&opts.Follow, "follow", "f", false, "keep printing new lines until Ctrl-C")
	cmd.Flags().IntVar(&opts.Tail, "tail", -1, "lines from the end of each service's log (-1: all)")
	return cmd
}
