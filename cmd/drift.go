package cmd

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/client"
	"github.com/mlops-dev/mlops/pkg/ui"
)

func init() { register(newDriftCmd) }

// apiConnOptions are the connection flags of commands that call the API.
type apiConnOptions struct {
	insecure bool
	timeout  time.Duration
}

func (o *apiConnOptions) addFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&o.insecure, "insecure", false, "skip TLS certificate verification (prints a warning; prefer --ca-cert)")
	fl.DurationVar(&o.timeout, "timeout", client.DefaultTimeout, "time limit of the request")
	fl.String("url", "", "API URL (default: api.url, MLOPS_API_URL)")
	fl.String("ca-cert", "", "CA certificate that verifies the API (default: api.ca_cert, else certs/ca.crt)")
	fl.String("token", "", "bearer token (default: api.token, MLOPS_API_TOKEN; prefer the variable, flags show in ps)")
}

// connect binds the connection flags and opens a connection that mints a
// token with roles when none is configured.
func (o *apiConnOptions) connect(cmd *cobra.Command, f *Factory, roles ...string) (*client.Conn, error) {
	bindAPIFlags(f, cmd)
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	conn, err := client.Connect(cfg, client.Options{
		Insecure: o.insecure, Timeout: o.timeout, Warn: f.Streams.Err, MintRoles: roles,
	})
	if err != nil {
		return nil, err
	}
	if err := conn.RequireToken(); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

func newDriftCmd(f *Factory) *cobra.Command {
	opts := &apiConnOptions{}
	cmd := &cobra.Command{
		Use:   "drift",
		Short: "Show input drift per feature from the running API",
		Long: `Drift prints, for every feature, the population stability index (PSI) of the API's
most recent inputs against the deciles of the training data, and whether it is above the
drift threshold (0.2 by default: above 0.2 is a significant shift). PSI stays 0 until the
window holds the minimum number of inputs. Needs the read or admin role; connection
settings are those of mlops predict.`,
		Example: `  mlops drift
  mlops drift --output json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			conn, err := opts.connect(cmd, f, auth.RoleRead)
			if err != nil {
				return err
			}
			defer conn.Close()
			d, err := conn.API.Drift(cmd.Context())
			if err != nil {
				return conn.Explain(err)
			}
			return renderDrift(f.Streams, d)
		},
	}
	opts.addFlags(cmd)
	return cmd
}

func renderDrift(s *ui.Streams, d *api.DriftResponse) error {
	if s.JSON {
		return s.WriteJSON(d)
	}
	t := &ui.Table{
		Title: fmt.Sprintf("Input drift of %s v%d over the last %d of %d inputs (threshold PSI %g)",
			d.Model.Name, d.Model.Version, d.Samples, d.Window, d.Threshold),
		Headers: []string{"FEATURE", "PSI", "DRIFTED"},
	}
	for _, feat := range d.Features {
		psi, drifted := fmt.Sprintf("%.4f", feat.PSI), "no"
		switch {
		case !feat.Available:
			psi, drifted = "-", "no training deciles"
		case !d.Ready:
			psi, drifted = "-", "-"
		case feat.Drifted:
			drifted = "yes"
		}
		t.AddRow(feat.Name, psi, drifted)
	}
	s.Render(t)
	if !d.Ready {
		s.Statusf("not enough inputs yet: %d of the %d needed before drift is reported", d.Samples, d.MinSamples)
	}
	return nil
}
