package training

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/mlops-dev/mlops/pkg/forest"
	"github.com/mlops-dev/mlops/pkg/model"
	"github.com/mlops-dev/mlops/pkg/registry"
)

func testOptions(t *testing.T, root string) Options {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p := forest.DefaultParams()
	p.Trees, p.Seed = 30, 7
	return Options{Params: p, TestSize: 0.2, CVFolds: 3, ModelName: "iris", Registry: registry.Open(root), Key: key}
}

func TestRun_SameSeedSameModelBytes(t *testing.T) {
	var forests [][]byte
	for _, workers := range []int{1, 4} {
		root := t.TempDir()
		opts := testOptions(t, root)
		opts.Params.Workers = workers
		res, err := Run(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join(root, "iris", "v1", model.ForestFile))
		if err != nil {
			t.Fatal(err)
		}
		forests = append(forests, raw)
		if res.Metadata.Metrics.CV == nil || res.Metadata.Metrics.CV.Folds != 3 {
			t.Errorf("cross validation summary = %+v, want 3 folds", res.Metadata.Metrics.CV)
		}
	}
	if !bytes.Equal(forests[0], forests[1]) {
		t.Error("forest.bin differs between runs with the same seed and data")
	}
}

func TestRun_ConcurrentTrainsGetDistinctVersions(t *testing.T) {
	root := t.TempDir()
	opts := testOptions(t, root)
	opts.CVFolds = 0

	var wg sync.WaitGroup
	versions := make([]int, 3)
	errs := make([]error, 3)
	for i := range versions {
		wg.Go(func() {
			res, err := Run(context.Background(), opts)
			errs[i] = err
			if err == nil {
				versions[i] = res.Version
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("train %d: %v", i, err)
		}
	}
	sort.Ints(versions)
	if versions[0] != 1 || versions[1] != 2 || versions[2] != 3 {
		t.Errorf("versions = %v, want [1 2 3]", versions)
	}
}

func TestRun_StrictStopsOnWarning(t *testing.T) {
	root := t.TempDir()
	opts := testOptions(t, root)
	opts.Strict = true // the built-in Iris data has one duplicate row, a warning
	res, err := Run(context.Background(), opts)
	if !errors.Is(err, ErrChecksFailed) {
		t.Fatalf("err = %v, want ErrChecksFailed", err)
	}
	if res == nil || res.Metadata.Checks.Warnings() == 0 {
		t.Errorf("result = %+v, want the check report with its warning", res)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("registry has %d entries after a failed check, want none", len(entries))
	}
}
