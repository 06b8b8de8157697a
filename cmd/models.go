package cmd

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlops-dev/mlops/pkg/config"
	"github.com/mlops-dev/mlops/pkg/model"
	"github.com/mlops-dev/mlops/pkg/registry"
	"github.com/mlops-dev/mlops/pkg/training"
)

func init() { register(newModelsCmd) }

func newModelsCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "models",
		Short: "List, show, promote, verify, export and import model versions",
	}
	cmd.AddCommand(newModelsListCmd(f), newModelsShowCmd(f), newModelsPromoteCmd(f),
		newModelsVerifyCmd(f), newModelsExportCmd(f), newModelsImportCmd(f))
	return cmd
}

// openRegistry returns the configured registry and the public key that verifies it.
func openRegistry(f *Factory) (*registry.Registry, []byte, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, nil, err
	}
	reg := registry.Open(cfg.Path(cfg.Models.Dir))
	pub, err := loadVerifyKey(cfg)
	if err != nil {
		if names, listErr := reg.Models(); listErr == nil && len(names) == 0 {
			return nil, nil, fmt.Errorf("no models in %s yet; run 'mlops train' to create the signing keys and a first version", reg.Root)
		}
		return nil, nil, err
	}
	return reg, pub, nil
}

func parseRef(arg string) (registry.Ref, error) {
	ref, err := registry.ParseRef(arg)
	if err != nil {
		return ref, &UsageError{Err: err}
	}
	return ref, nil
}

func newModelsListCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "list [NAME]",
		Short: "List model versions with their aliases, accuracy and signature status",
		Args:  maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, pub, err := openRegistry(f)
			if err != nil {
				return err
			}
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			list, err := model.List(reg, name, pub)
			if err != nil {
				return err
			}
			return model.RenderList(f.Streams, list)
		},
	}
}

func newModelsShowCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME[:vN|@ALIAS]",
		Short: "Show a verified version's features, classes, metrics and checks",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, pub, err := openRegistry(f)
			if err != nil {
				return err
			}
			ref, err := parseRef(args[0])
			if err != nil {
				return err
			}
			m, err := model.Load(reg, ref, pub)
			if err != nil {
				return err
			}
			return training.Render(f.Streams, &training.Result{Name: m.Name, Version: m.Version, Spec: m.Spec, Metadata: m.Metadata})
		},
	}
}

func newModelsPromoteCmd(f *Factory) *cobra.Command {
	var alias string
	cmd := &cobra.Command{
		Use:   "promote NAME:vN|NAME@ALIAS",
		Short: "Point an alias (default production) at a verified version",
		Example: `  mlops models promote iris:v3
  mlops models promote iris@staging --alias production`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := parseRef(args[0])
			if err != nil {
				return err
			}
			if ref.Version == 0 && ref.Alias == "" {
				return usageErrorf("promote %s: name the version, as %s:vN or %s@ALIAS", args[0], ref.Name, ref.Name)
			}
			reg, pub, err := openRegistry(f)
			if err != nil {
				return err
			}
			name, version, err := reg.Resolve(ref)
			if err != nil {
				return err
			}
			if err := reg.Verify(name, version, pub); err != nil {
				return fmt.Errorf("cannot promote: %w", err)
			}
			if err := reg.SetAlias(name, alias, version); err != nil {
				return err
			}
			if f.Streams.JSON {
				return f.Streams.WriteJSON(map[string]any{"name": name, "alias": alias, "version": version})
			}
			f.Streams.Statusf("%s@%s -> v%d", name, alias, version)
			return nil
		},
	}
	cmd.Flags().StringVar(&alias, "alias", "production", "alias to set")
	return cmd
}

func newModelsVerifyCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "verify [NAME[:vN]]",
		Short: "Recompute every digest and check every signature",
		Args:  maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, pub, err := openRegistry(f)
			if err != nil {
				return err
			}
			list, err := verifyTargets(reg, args, pub)
			if err != nil {
				return err
			}
			if err := model.RenderList(f.Streams, list); err != nil {
				return err
			}
			for _, s := range list {
				if !s.Verified {
					// Problem already names the model and version.
					return errors.New(s.Problem)
				}
			}
			if len(list) == 0 {
				return fmt.Errorf("no model versions found under %s", reg.Root)
			}
			return nil
		},
	}
}

func verifyTargets(reg *registry.Registry, args []string, pub []byte) ([]model.Summary, error) {
	if len(args) == 0 {
		return model.List(reg, "", pub)
	}
	ref, err := parseRef(args[0])
	if err != nil {
		return nil, err
	}
	if ref.Version == 0 && ref.Alias == "" {
		return model.List(reg, ref.Name, pub)
	}
	name, version, err := reg.Resolve(ref)
	if err != nil {
		return nil, err
	}
	all, err := model.List(reg, name, pub)
	if err != nil {
		return nil, err
	}
	for _, s := range all {
		if s.Version == version {
			return []model.Summary{s}, nil
		}
	}
	return nil, fmt.Errorf("%s:v%d not found", name, version)
}

func newModelsExportCmd(f *Factory) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "export NAME:vN -o FILE.tar.gz",
		Short: "Write one signed version to a tar.gz archive",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				return usageErrorf("-o FILE.tar.gz is required")
			}
			reg, pub, err := openRegistry(f)
			if err != nil {
				return err
			}
			ref, err := parseRef(args[0])
			if err != nil {
				return err
			}
			name, version, err := reg.Resolve(ref)
			if err != nil {
				return err
			}
			if err := reg.Verify(name, version, pub); err != nil {
				return fmt.Errorf("cannot export: %w", err)
			}
			return exportTo(reg, name, version, output, f)
		},
	}
	cmd.Flags().StringVarP(&output, "file", "o", "", "archive to write (.tar.gz)")
	return cmd
}

func exportTo(reg *registry.Registry, name string, version int, path string, f *Factory) error {
	tmp := path + ".tmp"
	fh, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := reg.Export(name, version, fh); err != nil {
		fh.Close()
		os.Remove(tmp)
		return err
	}
	if err := fh.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if f.Streams.JSON {
		return f.Streams.WriteJSON(map[string]any{"name": name, "version": version, "file": path})
	}
	f.Streams.Statusf("exported %s:v%d to %s", name, version, path)
	return nil
}

type modelsImportOptions struct {
	publicKey string
}

func newModelsImportCmd(f *Factory) *cobra.Command {
	opts := &modelsImportOptions{}
	cmd := &cobra.Command{
		Use:   "import FILE.tar.gz",
		Short: "Verify a signed archive and add its version to the registry",
		Long: `Import verifies the signature of an archive written by mlops models export with the
project's public key (keys.public), or with --public-key, and adds the version to the
registry. An archive exported by another project needs that project's public key.`,
		Example: `  mlops models import iris-v3.tar.gz
  mlops models import iris-v3.tar.gz --public-key ../other-project/keys/signing.pub`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runModelsImport(f, opts, args[0])
		},
	}
	cmd.Flags().StringVar(&opts.publicKey, "public-key", "",
		"Ed25519 public key (PEM) that verifies the archive (default: keys.public)")
	return cmd
}

func runModelsImport(f *Factory, opts *modelsImportOptions, archive string) error {
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	keyPath, keySource := cfg.Path(cfg.Keys.Public), "keys.public"
	if opts.publicKey != "" {
		keyPath, keySource = opts.publicKey, "--public-key"
	}
	pub, err := registry.LoadPublicKey(keyPath)
	if err != nil {
		return err
	}
	fh, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer fh.Close()
	reg := registry.Open(cfg.Path(cfg.Models.Dir))
	name, version, err := reg.Import(fh, pub)
	if err != nil {
		return explainImportError(archive, keyPath, keySource, err)
	}
	f.Streams.Statusf("imported %s:v%d (signature verified with %s)", name, version, keyPath)
	if opts.publicKey == "" {
		return nil
	}
	return adoptImported(f, cfg, reg, name, version, pub)
}

// adoptImported re-signs a version imported with another project's public key with
// this project's signing key, so that verify and serve accept it here.
func adoptImported(f *Factory, cfg *config.Config, reg *registry.Registry, name string, version int, from []byte) error {
	own, err := registry.LoadPublicKey(cfg.Path(cfg.Keys.Public))
	if err == nil && own.Equal(ed25519.PublicKey(from)) {
		return nil
	}
	key, err := loadOrCreateSigningKey(f, cfg)
	if err != nil {
		return fmt.Errorf("%s:v%d was imported but cannot be re-signed for this project: %w", name, version, err)
	}
	if err := reg.Resign(name, version, from, key); err != nil {
		return err
	}
	f.Streams.Statusf("re-signed %s:v%d with this project's key %s, so it verifies and serves here", name, version, cfg.Path(cfg.Keys.Private))
	return nil
}

// explainImportError adds the key that was used, and what to do, to an
// archive signed by another key.
func explainImportError(archive, keyPath, keySource string, err error) error {
	var verr *registry.VerifyError
	if errors.As(err, &verr) && verr.File == "manifest.sig" && strings.HasPrefix(verr.Reason, "signed by another key") {
		return fmt.Errorf("%s: %w; the public key used is %s (%s), and an archive from another project "+
			"needs that project's public key: pass it with --public-key FILE", archive, err, keyPath, keySource)
	}
	return fmt.Errorf("%s: %w", archive, err)
}
