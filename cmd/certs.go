package cmd

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/mlops-dev/mlops/pkg/certs"
	"github.com/mlops-dev/mlops/pkg/scaffold"
)

func init() { register(newCertsCmd) }

func newCertsCmd(f *Factory) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "certs",
		Short: "Renew the server certificate from the local CA and print how to trust the CA",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			certDir := cfg.Path(dir)
			_, err = certs.Renew(certDir, certs.Options{Project: cfg.Project, Hosts: scaffold.CertHosts(cfg.Domain)})
			if err != nil {
				return err
			}
			f.Streams.Statusf("renewed the server certificate in %s for %d hosts", certDir, len(scaffold.CertHosts(cfg.Domain)))
			_, err = fmt.Fprint(f.Streams.Out, certs.TrustInstructions(filepath.Join(certDir, "ca.crt")))
			return err
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "certs", "certificate folder of the project")
	return cmd
}
