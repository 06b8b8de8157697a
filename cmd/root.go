// Package cmd holds mlops's cobra commands: flag parsing, configuration binding and
// wiring into the feature packages under pkg/. No command does the work itself.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/mlops-dev/mlops/pkg/config"
	"github.com/mlops-dev/mlops/pkg/ui"
)

// Factory carries what every command needs: streams, build info, and the lazily loaded
// configuration. Tests build one with ui.Test streams.
type Factory struct {
	Streams *ui.Streams
	Version string
	Commit  string

	globals globalOptions
	loader  *configLoader
}

type globalOptions struct {
	configFile string
	output     string
	quiet      bool
	verbose    bool
}

// Config loads mlops.yaml, .env, MLOPS_* variables and bound flags into a Config.
func (f *Factory) Config() (*config.Config, error) {
	return f.loader.load(f.globals.configFile)
}

// Main runs mlops with the process's arguments and returns the exit code.
func Main(version, commit string) int {
	f := &Factory{Streams: ui.System(), Version: version, Commit: commit}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, f, os.Args[1:])
}

// Run executes one command line with f and returns the exit code; errors are printed
// once, on one line, to f.Streams.Err.
func Run(ctx context.Context, f *Factory, args []string) int {
	f.loader = newConfigLoader()
	root := newRootCmd(f)
	root.SetArgs(args)
	root.SetIn(f.Streams.In)
	root.SetOut(f.Streams.Out)
	root.SetErr(f.Streams.Err)

	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	// cobra reports an unknown subcommand as a plain error; it is a usage mistake.
	if strings.HasPrefix(err.Error(), "unknown command ") {
		err = &UsageError{Err: err}
	}
	if !errors.Is(err, ErrSilent) {
		fmt.Fprintf(f.Streams.Err, "error: %s\n", oneLine(err.Error()))
		var usage *UsageError
		if errors.As(err, &usage) {
			fmt.Fprintln(f.Streams.Err, "Run 'mlops --help' or 'mlops COMMAND --help' for usage.")
		}
	}
	return exitCode(err)
}

func newRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "mlops",
		Short: "Train, sign, serve and operate ML models on your own machines",
		Long: `mlops trains a model from a CSV file, signs it, serves it behind TLS, JWT auth and
rate limits, and runs the monitoring stack around it with one command.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			f.loader.applyBindings(cmd.Flags())
			return f.applyGlobals()
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &UsageError{Err: err}
	})

	flags := root.PersistentFlags()
	flags.StringVar(&f.globals.configFile, "config", "", "configuration file (default: ./mlops.yaml when present)")
	flags.StringVar(&f.globals.output, "output", "table", "output format: table or json")
	flags.BoolVarP(&f.globals.quiet, "quiet", "q", false, "print only results, no status lines")
	flags.BoolVarP(&f.globals.verbose, "verbose", "v", false, "print detail lines on stderr")

	for _, add := range commands {
		cmd := add(f)
		if cmd.HasSubCommands() && cmd.RunE == nil {
			requireSubcommand(cmd)
		}
		root.AddCommand(cmd)
	}
	return root
}

// requireSubcommand makes a command group without a subcommand a usage error (exit 2)
// instead of printing help and exiting 0. An unknown subcommand is reported by cobra.
func requireSubcommand(cmd *cobra.Command) {
	cmd.RunE = func(c *cobra.Command, args []string) error {
		names := []string{}
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				names = append(names, sub.Name())
			}
		}
		if len(args) > 0 {
			return usageErrorf("unknown command %q for %q; use one of: %s", args[0], c.CommandPath(), strings.Join(names, ", "))
		}
		return usageErrorf("%s needs a subcommand: %s", c.CommandPath(), strings.Join(names, ", "))
	}
}

// commands lists the constructors of the subcommands; each command file adds itself
// in an init function so that this file needs no edit per command.
var commands []func(*Factory) *cobra.Command

func register(newCmd func(*Factory) *cobra.Command) {
	commands = append(commands, newCmd)
}

func (f *Factory) applyGlobals() error {
	switch f.globals.output {
	case "table":
		f.Streams.JSON = false
	case "json":
		f.Streams.JSON = true
	default:
		return usageErrorf("--output: %q is not a format; use table or json", f.globals.output)
	}
	if f.globals.quiet && f.globals.verbose {
		return usageErrorf("--quiet and --verbose cannot be used together")
	}
	f.Streams.Quiet = f.globals.quiet
	f.Streams.Verbose = f.globals.verbose
	return nil
}

// exactArgs is cobra.ExactArgs returning a UsageError.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return &UsageError{Err: err}
		}
		return nil
	}
}

// maxArgs is cobra.MaximumNArgs returning a UsageError.
func maxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.MaximumNArgs(n)(cmd, args); err != nil {
			return &UsageError{Err: err}
		}
		return nil
	}
}
