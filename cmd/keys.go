package cmd

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/mlops-dev/mlops/pkg/config"
	"github.com/mlops-dev/mlops/pkg/forest"
	"github.com/mlops-dev/mlops/pkg/registry"
)

func init() { register(newKeysCmd) }

func newKeysCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the Ed25519 key pair that signs model manifests",
	}
	var force bool
	generate := &cobra.Command{
		Use:   "generate",
		Short: "Generate the signing key pair (private key mode 0600)",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			priv, pub := cfg.Path(cfg.Keys.Private), cfg.Path(cfg.Keys.Public)
			if !force {
				if _, err := os.Stat(priv); err == nil {
					return fmt.Errorf("%s already exists; use --force to replace it (versions signed with it will no longer verify)", priv)
				}
			}
			if force {
				_ = os.Remove(priv)
				_ = os.Remove(pub)
			}
			if err := registry.GenerateKeyPair(priv, pub); err != nil {
				return err
			}
			f.Streams.Statusf("wrote private key %s (mode 0600) and public key %s", priv, pub)
			return nil
		},
	}
	generate.Flags().BoolVar(&force, "force", false, "replace an existing key pair")
	cmd.AddCommand(generate)
	return cmd
}

// loadOrCreateSigningKey returns the configured private key, generating the pair first
// when neither file exists.
func loadOrCreateSigningKey(f *Factory, cfg *config.Config) (ed25519.PrivateKey, error) {
	priv, pub := cfg.Path(cfg.Keys.Private), cfg.Path(cfg.Keys.Public)
	_, err := os.Stat(priv)
	if errors.Is(err, fs.ErrNotExist) {
		if _, pubErr := os.Stat(pub); pubErr == nil {
			return nil, fmt.Errorf("public key %s exists but private key %s is missing; restore it or run 'mlops keys generate --force'", pub, priv)
		}
		if err := registry.GenerateKeyPair(priv, pub); err != nil {
			return nil, err
		}
		f.Streams.Statusf("no signing key found: generated %s (private, mode 0600) and %s", priv, pub)
	}
	return registry.LoadPrivateKey(priv)
}

// loadVerifyKey returns the configured public key for verifying model versions.
func loadVerifyKey(cfg *config.Config) (ed25519.PublicKey, error) {
	return registry.LoadPublicKey(cfg.Path(cfg.Keys.Public))
}

// trainParams returns the forest parameters from the train.* settings.
func trainParams(cfg *config.Config) forest.Params {
	p := forest.DefaultParams()
	p.Trees = cfg.Train.Trees
	p.MaxDepth = cfg.Train.MaxDepth
	p.MinSamplesLeaf = cfg.Train.MinSamplesLeaf
	p.Seed = cfg.Train.Seed
	return p
}
