package cmd

import (
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlops-dev/mlops/pkg/client"
	"github.com/mlops-dev/mlops/pkg/config"
)

func init() { register(newTokenCmd) }

// clientSecretEnv is the variable that carries the client secret for
// --client-id, so the secret never appears in the process list.
const clientSecretEnv = "MLOPS_CLIENT_SECRET"

type tokenOptions struct {
	subject  string
	roles    []string
	ttl      time.Duration
	clientID string
	insecure bool
}

func newTokenCmd(f *Factory) *cobra.Command {
	opts := &tokenOptions{}
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Sign an API token offline, or get one from the API with client credentials",
		Long: `Token signs a bearer token with the project's auth key or secret (auth.* settings,
MLOPS_AUTH_SECRET) for --sub with the given roles, and prints it bare so that
$(mlops token ...) works. --output json adds the subject, roles and expiry.

With --client-id it asks the API's POST /token instead. The client secret comes from
MLOPS_CLIENT_SECRET or a prompt without echo, never from a flag, because flags show in ps.`,
		Example: `  export MLOPS_API_TOKEN=$(mlops token --sub alice --role predict --ttl 1h)
  mlops token --sub dashboard --role read --role predict --output json
  MLOPS_CLIENT_SECRET=... mlops token --client-id ci`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runToken(cmd, f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.subject, "sub", "", "subject (sub claim) of the token, such as a user or service name")
	fl.StringArrayVar(&opts.roles, "role", nil, "role to grant: predict, read, feedback or admin (repeatable)")
	fl.DurationVar(&opts.ttl, "ttl", time.Hour, "token lifetime, at most auth.max_ttl")
	fl.StringVar(&opts.clientID, "client-id", "", "get the token from the API's POST /token as this client")
	fl.BoolVar(&opts.insecure, "insecure", false, "with --client-id: skip TLS certificate verification (prints a warning)")
	fl.String("url", "", "with --client-id: API URL (default: api.url, MLOPS_API_URL)")
	fl.String("ca-cert", "", "with --client-id: CA certificate that verifies the API (default: api.ca_cert, else certs/ca.crt)")
	return cmd
}

func runToken(cmd *cobra.Command, f *Factory, opts *tokenOptions) error {
	if opts.clientID != "" && (opts.subject != "" || len(opts.roles) > 0) {
		return usageErrorf("--client-id takes no --sub or --role: the API grants the client's roles")
	}
	if opts.clientID == "" && opts.subject == "" {
		return usageErrorf("--sub NAME is required (or --client-id ID to ask the API)")
	}
	if opts.clientID == "" && len(opts.roles) == 0 {
		return usageErrorf("--role is required, for example --role predict")
	}
	bindAPIFlags(f, cmd)
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	if opts.clientID == "" {
		if err := validateTokenFlags(cfg, opts); err != nil {
			return err
		}
		tok, err := client.IssueToken(cfg, opts.subject, opts.roles, opts.ttl)
		if err != nil {
			return err
		}
		return client.RenderToken(f.Streams, tok)
	}

	secret := os.Getenv(clientSecretEnv)
	if secret == "" {
		if secret, err = client.ReadSecret(f.Streams.In, f.Streams.Err, "client secret ("+clientSecretEnv+")"); err != nil {
			return err
		}
	}
	conn, err := client.Connect(cfg, client.Options{Insecure: opts.insecure, Warn: f.Streams.Err})
	if err != nil {
		return err
	}
	defer conn.Close()
	tok, err := client.FetchToken(cmd.Context(), conn, opts.clientID, secret)
	if err != nil {
		return err
	}
	return client.RenderToken(f.Streams, tok)
}

// validateTokenFlags reports a bad --ttl or --role as a usage error before
// the signing key is loaded.
func validateTokenFlags(cfg *config.Config, opts *tokenOptions) error {
	if err := client.ValidateTTL(cfg, opts.ttl); err != nil {
		return &UsageError{Err: err}
	}
	if err := client.ValidateRoles(opts.roles); err != nil {
		return &UsageError{Err: err}
	}
	return nil
}
