package cmd

import (
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/mlops-dev/mlops/pkg/server"
)

func init() { register(newServeCmd) }

type serveOptions struct {
	model    string
	logLevel string
}

func newServeCmd(f *Factory) *cobra.Command {
	opts := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve a verified model over HTTP with JWT auth, rate limits and metrics",
		Long: `Serve loads a model version (the production alias, else the newest version), verifies
its signature and digests, and answers predictions. It reloads on SIGHUP, on
POST /admin/reload, and when the alias moves in the registry; a version that fails
verification never serves. It binds to 127.0.0.1 unless --addr says otherwise.`,
		Example: `  MLOPS_AUTH_SECRET=$(openssl rand -base64 48) mlops serve
  mlops serve --model iris@staging --addr 0.0.0.0:8080 --redis-addr 127.0.0.1:6379`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd, f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.model, "model", "", "model to serve: NAME, NAME:vN or NAME@ALIAS (default: models.name and models.alias)")
	fl.StringVar(&opts.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fl.String("addr", "127.0.0.1:8080", "listen address of the API")
	fl.String("metrics-addr", "", "separate listen address for /metrics (default: on --addr)")
	fl.String("tls-cert", "", "certificate file; with --tls-key the API speaks HTTPS, TLS 1.3 minimum")
	fl.String("tls-key", "", "private key file of --tls-cert")
	fl.String("redis-addr", "", "Redis host:port for rate limits (default: in-memory limiter)")
	for flag, key := range map[string]string{
		"addr": "serve.addr", "metrics-addr": "serve.metrics_addr", "tls-cert": "serve.tls_cert",
		"tls-key": "serve.tls_key", "redis-addr": "redis.addr",
	} {
		f.bindFlag(key, fl.Lookup(flag))
	}
	return cmd
}

func runServe(cmd *cobra.Command, f *Factory, opts *serveOptions) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(opts.logLevel)); err != nil {
		return usageErrorf("--log-level: %q is not a level; use debug, info, warn or error", opts.logLevel)
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(f.Streams.Err, &slog.HandlerOptions{Level: level}))
	srvOpts, closeFn, err := server.OptionsFromConfig(cfg, opts.model, logger)
	if err != nil {
		return err
	}
	defer closeFn()
	srvOpts.Version = f.Version

	srv, err := server.New(srvOpts)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			// Reload logs and counts its own failure; the old model keeps serving.
			_ = srv.Reload(ctx)
		}
	}()
	return srv.Run(ctx)
}
