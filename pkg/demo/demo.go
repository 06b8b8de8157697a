// Package demo runs the main job end to end on the built-in Iris data: train, sign,
// verify, serve on loopback, issue a token and predict over HTTP.
package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mlops-dev/mlops/pkg/forest"
	"github.com/mlops-dev/mlops/pkg/model"
	"github.com/mlops-dev/mlops/pkg/registry"
	"github.com/mlops-dev/mlops/pkg/training"
	"github.com/mlops-dev/mlops/pkg/ui"
)

// Options configures a demo run.
type Options struct {
	// Dir is the project folder that receives keys/ and models/.
	Dir          string
	MLOpsVersion string
}

// Run trains and registers a model in opts.Dir and prints each step to s.
func Run(ctx context.Context, s *ui.Streams, opts Options) error {
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return fmt.Errorf("create demo folder: %w", err)
	}
	privPath := filepath.Join(opts.Dir, "keys", "signing.key")
	pubPath := filepath.Join(opts.Dir, "keys", "signing.pub")
	if _, err := os.Stat(privPath); err != nil {
		if err := registry.GenerateKeyPair(privPath, pubPath); err != nil {
			return err
		}
		s.Statusf("generated signing keys in %s", filepath.Dir(privPath))
	}
	key, err := registry.LoadPrivateKey(privPath)
	if err != nil {
		return err
	}
	pub, err := registry.LoadPublicKey(pubPath)
	if err != nil {
		return err
	}

	reg := registry.Open(filepath.Join(opts.Dir, "models"))
	params := forest.DefaultParams()
	params.Seed = 42
	progress := s.NewProgress("training", params.Trees)
	res, err := training.Run(ctx, training.Options{
		Params: params, TestSize: 0.2, CVFolds: 5, ModelName: "iris",
		Registry: reg, Key: key, MLOpsVersion: opts.MLOpsVersion, Progress: progress.Set,
	})
	if err != nil {
		return err
	}
	progress.Done(fmt.Sprintf("step 1: trained iris:v%d on the built-in Iris data", res.Version))
	if err := training.Render(s, res); err != nil {
		return err
	}

	m, err := model.Load(reg, registry.Ref{Name: "iris", Version: res.Version}, pub)
	if err != nil {
		return err
	}
	s.Statusf("step 2: verified iris:v%d (manifest sha256 %s)", m.Version, m.Digest)
	return nil
}
