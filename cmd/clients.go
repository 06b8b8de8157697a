package cmd

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/client"
	"github.com/mlops-dev/mlops/pkg/ui"
)

func init() { register(newClientsCmd) }

func newClientsCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "clients",
		Short: "Manage API clients that exchange a secret for a token at POST /token",
	}
	open := func() (*auth.ClientStore, error) {
		cfg, err := f.Config()
		if err != nil {
			return nil, err
		}
		return auth.OpenClients(cfg.Path(cfg.Serve.ClientsFile))
	}

	var roles []string
	add := &cobra.Command{
		Use:   "add ID --role predict [--role read]",
		Short: "Add a client and print its secret once (only a bcrypt hash is stored)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateClientArgs(args[0], roles); err != nil {
				return err
			}
			store, err := open()
			if err != nil {
				return err
			}
			secret, err := store.Add(args[0], roles)
			if err != nil {
				return err
			}
			if f.Streams.JSON {
				return f.Streams.WriteJSON(map[string]any{"client_id": args[0], "client_secret": secret, "roles": roles})
			}
			f.Streams.Statusf("added client %s with roles %s; the secret below is shown only once", args[0], strings.Join(roles, ", "))
			_, err = fmt.Fprintln(f.Streams.Out, secret)
			return err
		},
	}
	add.Flags().StringSliceVar(&roles, "role", []string{auth.RolePredict}, "role of the client: predict, read, feedback or admin (repeatable)")

	list := &cobra.Command{
		Use:   "list",
		Short: "List clients and their roles",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := open()
			if err != nil {
				return err
			}
			clients := store.List()
			if f.Streams.JSON {
				if clients == nil {
					clients = []auth.Client{}
				}
				return f.Streams.WriteJSON(clients)
			}
			t := &ui.Table{Headers: []string{"CLIENT", "ROLES", "CREATED"}}
			for _, c := range clients {
				t.AddRow(c.ID, strings.Join(c.Roles, ","), c.CreatedAt.Local().Format("2006-01-02 15:04"))
			}
			f.Streams.Render(t)
			return nil
		},
	}

	remove := &cobra.Command{
		Use:   "remove ID",
		Short: "Remove a client; its tokens stay valid until they expire",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := open()
			if err != nil {
				return err
			}
			if err := store.Remove(args[0]); err != nil {
				return err
			}
			f.Streams.Statusf("removed client %s", args[0])
			return nil
		},
	}
	cmd.AddCommand(add, list, remove)
	return cmd
}

// clientIDPattern is the client id rule of auth.ClientStore.Add.
// NOTE: auth keeps its copy unexported; the two must change together.
var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// validateClientArgs reports a bad client id or --role as a usage error
// before the clients file is opened.
func validateClientArgs(id string, roles []string) error {
	if !clientIDPattern.MatchString(id) {
		return usageErrorf("client id %q is invalid: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", id)
	}
	if err := client.ValidateRoles(roles); err != nil {
		return &UsageError{Err: err}
	}
	return nil
}
