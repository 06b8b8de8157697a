package cmd

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlops-dev/mlops/pkg/config"
	"github.com/mlops-dev/mlops/pkg/deploy"
	"github.com/mlops-dev/mlops/pkg/stack"
)

func init() {
	register(newUpCmd)
	register(newDownCmd)
	register(newStatusCmd)
	register(newRestartCmd)
	register(newLogsCmd)
	register(newScaleCmd)
}

// stackOptions are the flags shared by the stack commands.
type stackOptions struct {
	deploy.Options
	swarm bool
}

// swarmMode reports whether the command runs against Docker Swarm: --swarm, or
// mode: swarm in mlops.yaml.
func (o *stackOptions) swarmMode(cfg *config.Config) bool {
	return o.swarm || cfg.Mode == "swarm"
}

// stackCommand builds a stack command with the shared --skip and --swarm flags.
func stackCommand(f *Factory, use, short string, args cobra.PositionalArgs,
	run func(cmd *cobra.Command, cfg *config.Config, args []string) error) (*cobra.Command, *stackOptions) {
	opts := &stackOptions{}
	cmd := &cobra.Command{Use: use, Short: short, Args: args,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			opts.Version = f.Version
			return run(cmd, cfg, args)
		},
	}
	cmd.Flags().StringSliceVar(&opts.Skip, "skip", nil, "services of docker-compose.yml to leave out (repeatable)")
	cmd.Flags().BoolVar(&opts.swarm, "swarm", false, "run against Docker Swarm services (default: mode in mlops.yaml)")
	return cmd, opts
}

func newUpCmd(f *Factory) *cobra.Command {
	var opts *stackOptions
	var endpointMode string
	cmd, opts := stackCommand(f, "up", "Create or update the project's stack from docker-compose.yml and wait until it is healthy",
		exactArgs(0), func(cmd *cobra.Command, cfg *config.Config, _ []string) error {
			if !opts.swarmMode(cfg) {
				return deploy.Up(cmd.Context(), f.Streams, cfg, opts.Options)
			}
			if !cmd.Flags().Changed("replicas") {
				opts.Replicas = cfg.Swarm.Replicas
			}
			switch endpointMode {
			case "":
			case "vip", "dnsrr":
				cfg.Swarm.EndpointMode = endpointMode
			default:
				return usageErrorf("--endpoint-mode: %q is not a mode; use vip or dnsrr", endpointMode)
			}
			return deploy.UpSwarm(cmd.Context(), f.Streams, cfg, opts.Options)
		})
	cmd.Long = `Up reads docker-compose.yml with compose-go, builds the api image from this binary
(FROM scratch, no base image pull), creates networks and volumes, and starts services in
dependency order, waiting for each health check. Running it again leaves unchanged
services alone and recreates only those whose configuration changed.

With --swarm (or mode: swarm in mlops.yaml) the same file is deployed as Docker Swarm
services: the api replicated, secrets as Docker secrets, rolling updates that start the
new task before stopping the old one and roll back when it fails its health check.`
	fl := cmd.Flags()
	fl.DurationVar(&opts.WaitTimeout, "wait-timeout", stack.DefaultWaitTimeout, "time to wait for every service to be healthy")
	fl.IntVar(&opts.Replicas, "replicas", 2, "api replicas in swarm mode; without the flag, swarm.replicas from mlops.yaml")
	fl.StringVar(&endpointMode, "endpoint-mode", "", "swarm service discovery: vip (routing mesh, needs IPVS) or dnsrr (default: swarm.endpoint_mode)")
	fl.BoolVar(&opts.InitSwarm, "init-swarm", false, "make this engine a single-node swarm when it is not a manager")
	fl.BoolVar(&opts.PublishAllInterfaces, "publish-all-interfaces", false, "allow swarm to publish ports bound to one address on every interface")
	return cmd
}

func newDownCmd(f *Factory) *cobra.Command {
	var opts *stackOptions
	cmd, opts := stackCommand(f, "down", "Stop and remove the project's containers and networks (volumes stay unless --volumes)",
		exactArgs(0), func(cmd *cobra.Command, cfg *config.Config, _ []string) error {
			if opts.swarmMode(cfg) {
				return deploy.DownSwarm(cmd.Context(), f.Streams, cfg, opts.Options)
			}
			return deploy.Down(cmd.Context(), f.Streams, cfg, opts.Options)
		})
	cmd.Flags().BoolVar(&opts.Volumes, "volumes", false, "also remove the project's volumes and the data in them")
	return cmd
}

func newStatusCmd(f *Factory) *cobra.Command {
	var opts *stackOptions
	cmd, opts := stackCommand(f, "status", "Show each service's state, health, ports, image and URL (replicas in swarm mode)",
		exactArgs(0), func(cmd *cobra.Command, cfg *config.Config, _ []string) error {
			if opts.swarmMode(cfg) {
				return deploy.StatusSwarm(cmd.Context(), f.Streams, cfg)
			}
			return deploy.Status(cmd.Context(), f.Streams, cfg, opts.Options)
		})
	return cmd
}

func newRestartCmd(f *Factory) *cobra.Command {
	var opts *stackOptions
	cmd, opts := stackCommand(f, "restart [SERVICE...]", "Restart running services and wait for their health checks",
		cobra.ArbitraryArgs, func(cmd *cobra.Command, cfg *config.Config, args []string) error {
			if opts.swarmMode(cfg) {
				return usageErrorf("restart works on compose stacks; in swarm mode run 'mlops up --swarm' to roll services")
			}
			opts.Services = args
			return deploy.Restart(cmd.Context(), f.Streams, cfg, opts.Options)
		})
	cmd.Flags().DurationVar(&opts.WaitTimeout, "wait-timeout", stack.DefaultWaitTimeout, "time to wait for health after the restart")
	return cmd
}

func newLogsCmd(f *Factory) *cobra.Command {
	var opts *stackOptions
	cmd, opts := stackCommand(f, "logs [SERVICE...]", "Print service logs, each line prefixed by its service",
		cobra.ArbitraryArgs, func(cmd *cobra.Command, cfg *config.Config, args []string) error {
			opts.Services = args
			if opts.swarmMode(cfg) {
				return deploy.LogsSwarm(cmd.Context(), f.Streams, cfg, opts.Options, f.Streams.Out)
			}
			return deploy.Logs(cmd.Context(), f.Streams, cfg, opts.Options, f.Streams.Out)
		})
	cmd.Flags().BoolVarP(&opts.Follow, "follow", "f", false, "keep printing new lines until Ctrl-C")
	cmd.Flags().IntVar(&opts.Tail, "tail", -1, "lines from the end of each service's log (-1: all)")
	return cmd
}

func newScaleCmd(f *Factory) *cobra.Command {
	var opts *stackOptions
	cmd, opts := stackCommand(f, "scale SERVICE=N", "Set a swarm service's replica count, e.g. mlops scale api=3",
		exactArgs(1), func(cmd *cobra.Command, cfg *config.Config, args []string) error {
			service, count, ok := strings.Cut(args[0], "=")
			n, err := strconv.ParseUint(count, 10, 32)
			if !ok || service == "" || err != nil {
				return usageErrorf("scale %s: expected SERVICE=N with N a whole number, e.g. api=3", args[0])
			}
			return deploy.Scale(cmd.Context(), f.Streams, cfg, service, n, opts.Options)
		})
	cmd.Flags().DurationVar(&opts.WaitTimeout, "wait-timeout", stack.DefaultWaitTimeout, "time to wait for the replicas to run")
	return cmd
}
