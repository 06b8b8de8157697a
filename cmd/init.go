package cmd

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mlops-dev/mlops/pkg/scaffold"
)

func init() { register(newInitCmd) }

func newInitCmd(f *Factory) *cobra.Command {
	opts := scaffold.Options{}
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Write a project: config, compose stack, Traefik, monitoring, certificates, secrets",
		Long: `Init writes everything a team needs to run the model service on its own machine
behind HTTPS: mlops.yaml, .env with fresh secrets, docker-compose.yml, Traefik static and
dynamic config, Prometheus and Grafana provisioning, a code-server workspace, a local CA
with a server certificate, and the Iris data. Existing files are kept unless --force.`,
		Example: `  mlops init demo
  mlops init --domain ml.example.com --acme-email ops@example.com`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dir = "."
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			opts.Version = f.Version
			var out = f.Streams.Out
			if f.Streams.Quiet {
				out = nil
			}
			res, err := scaffold.Write(cmd.Context(), opts, out)
			if errors.Is(err, scaffold.ErrConflict) {
				return fmt.Errorf("%w; rerun with --force to overwrite them", err)
			}
			if err != nil {
				return err
			}
			if f.Streams.JSON {
				return f.Streams.WriteJSON(res)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Project, "project", "", "project name (default: the folder name)")
	fl.StringVar(&opts.Domain, "domain", "localhost", "domain of the service hosts (api.DOMAIN, grafana.DOMAIN, ...)")
	fl.IntVar(&opts.HTTPSPort, "https-port", 0, "host port for HTTPS (default 9443, or 443 with ACME)")
	fl.IntVar(&opts.HTTPPort, "http-port", 0, "host port that redirects to HTTPS (default 9080, or 80 with ACME)")
	fl.StringSliceVar(&opts.Services, "services", nil, "services to include (default: traefik,api,redis,prometheus,grafana,code-server)")
	fl.StringToStringVar(&opts.Images, "image", nil, "image per service, e.g. --image redis=redis:7.2.5-alpine")
	fl.StringVar(&opts.ACMEEmail, "acme-email", "", "use Let's Encrypt (staging) for --domain instead of the local CA")
	fl.BoolVar(&opts.ACMEProductionServer, "acme-production", false, "use Let's Encrypt's production server instead of staging")
	fl.BoolVar(&opts.Force, "force", false, "overwrite existing files (secrets and certificates are kept)")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "show what would be written without writing")
	return cmd
}
