package cmd

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/mlops-dev/mlops/pkg/doctor"
)

func init() { register(newDoctorCmd) }

func newDoctorCmd(f *Factory) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the project's configuration, keys, models, API, Redis, TLS and Docker",
		Long: `Doctor runs its checks in parallel, each within --timeout, and prints one line per
check: pass, warn, fail or skip, what it found, and a fix under every warning and failure.
Checks that do not apply to this project are skipped with the reason. It exits 1 when any
check fails. --output json prints the results for scripts.`,
		Example: `  mlops doctor
  mlops doctor --output json | jq '.checks[] | select(.status == "fail")'`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			bindAPIFlags(f, cmd)
			cfg, err := f.Config()
			results := doctor.Run(cmd.Context(), doctor.NewEnv(cfg, err), doctor.Checks(), timeout)
			if err := doctor.Render(f.Streams, results); err != nil {
				return err
			}
			if doctor.Failed(results) {
				return ErrSilent
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.DurationVar(&timeout, "timeout", doctor.DefaultTimeout, "time limit of each check")
	fl.String("url", "", "API URL to check (default: api.url, MLOPS_API_URL)")
	fl.String("ca-cert", "", "CA certificate that verifies the API (default: api.ca_cert, else certs/ca.crt)")
	return cmd
}
