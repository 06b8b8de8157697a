// Package model defines the files of one trained model version and loads a verified
// version from the registry into memory for prediction.
package model

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mlops-dev/mlops/pkg/dataset"
	"github.com/mlops-dev/mlops/pkg/evaluate"
	"github.com/mlops-dev/mlops/pkg/forest"
	"github.com/mlops-dev/mlops/pkg/registry"
)

// Names of the files a model version holds besides the registry's manifest and signature.
const (
	SpecFile     = "model.json"
	ForestFile   = "forest.bin"
	MetadataFile = "metadata.json"
)

// FormatVersion is the version of the model.json layout this build reads and writes.
const FormatVersion = 1

// Spec is the content of model.json: what a caller must send and what comes back.
type Spec struct {
	Format    int                    `json:"format"`
	Algorithm string                 `json:"algorithm"`
	Features  []string               `json:"features"`
	Label     string                 `json:"label"`
	Classes   []string               `json:"classes"`
	Stats     []dataset.FeatureStats `json:"stats"`
}

// Metadata is the content of metadata.json: how and on what the model was trained.
type Metadata struct {
	CreatedAt    time.Time      `json:"created_at"`
	MLOpsVersion string         `json:"mlops_version"`
	Algorithm    string         `json:"algorithm"`
	Data         DataInfo       `json:"data"`
	Params       forest.Params  `json:"params"`
	Metrics      Metrics        `json:"metrics"`
	Checks       dataset.Report `json:"checks"`
	TrainSeconds float64        `json:"train_seconds"`
}

// DataInfo describes the training data.
type DataInfo struct {
	Source    string `json:"source"`
	SHA256    string `json:"sha256"`
	Rows      int    `json:"rows"`
	Columns   int    `json:"columns"`
	Label     string `json:"label"`
	Dropped   int    `json:"dropped_rows"`
	Imputed   int    `json:"imputed_values"`
	TrainRows int    `json:"train_rows"`
	TestRows  int    `json:"test_rows"`
}

// Metrics holds the evaluation of the model: on the held-out split, by cross
// validation of the same parameters, and out of bag.
type Metrics struct {
	Holdout evaluate.Metrics `json:"holdout"`
	CV      *CVSummary       `json:"cv,omitempty"`
	OOB     *float64         `json:"oob_score,omitempty"`
}

// CVSummary is the result of stratified k-fold cross validation.
type CVSummary struct {
	Folds        int       `json:"folds"`
	Accuracy     []float64 `json:"accuracy"`
	AccuracyMean float64   `json:"accuracy_mean"`
	AccuracyStd  float64   `json:"accuracy_std"`
	MacroF1Mean  float64   `json:"macro_f1_mean"`
}

// Model is a verified model version ready to predict.
type Model struct {
	Name     string
	Version  int
	Digest   string
	Spec     Spec
	Metadata Metadata
	Forest   *forest.Forest
	LoadedAt time.Time
}

// Encode renders the files of a model version for registry.Publish.
func Encode(spec Spec, meta Metadata, f *forest.Forest) (map[string][]byte, error) {
	spec.Format = FormatVersion
	specJSON, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", SpecFile, err)
	}
	metaJSON, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", MetadataFile, err)
	}
	forestBin, err := f.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", ForestFile, err)
	}
	return map[string][]byte{
		SpecFile:     append(specJSON, '\n'),
		MetadataFile: append(metaJSON, '\n'),
		ForestFile:   forestBin,
	}, nil
}

// Load resolves ref in reg, verifies the version's signature and digests with pub,
// and decodes it. A version that fails verification is never decoded.
func Load(reg *registry.Registry, ref registry.Ref, pub ed25519.PublicKey) (*Model, error) {
	name, version, err := reg.Resolve(ref)
	if err != nil {
		return nil, err
	}
	art, err := reg.Load(name, version, pub)
	if err != nil {
		return nil, err
	}
	return Decode(art)
}

// Decode builds a Model from the verified files of art.
func Decode(art *registry.Artifact) (*Model, error) {
	m := &Model{Name: art.Name, Version: art.Version, Digest: art.ManifestDigest, LoadedAt: time.Now()}
	where := fmt.Sprintf("%s:v%d", art.Name, art.Version)

	if err := decodeJSON(art, SpecFile, &m.Spec); err != nil {
		return nil, err
	}
	if m.Spec.Format != FormatVersion {
		return nil, fmt.Errorf("%s: %s has format %d; this mlops reads format %d", where, SpecFile, m.Spec.Format, FormatVersion)
	}
	if err := decodeJSON(art, MetadataFile, &m.Metadata); err != nil {
		return nil, err
	}

	raw, ok := art.Files[ForestFile]
	if !ok {
		return nil, fmt.Errorf("%s: %s is missing", where, ForestFile)
	}
	m.Forest = new(forest.Forest)
	if err := m.Forest.UnmarshalBinary(raw); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", where, ForestFile, err)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return m, nil
}

func decodeJSON(art *registry.Artifact, file string, v any) error {
	raw, ok := art.Files[file]
	if !ok {
		return fmt.Errorf("%s:v%d: %s is missing", art.Name, art.Version, file)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s:v%d: %s: %w", art.Name, art.Version, file, err)
	}
	return nil
}

// check reports a disagreement between the forest and model.json.
func (m *Model) check() error {
	switch {
	case len(m.Spec.Features) == 0:
		return fmt.Errorf("%s lists no features", SpecFile)
	case m.Forest.NumFeatures() != len(m.Spec.Features):
		return fmt.Errorf("%s has %d features but %s expects %d", SpecFile, len(m.Spec.Features), ForestFile, m.Forest.NumFeatures())
	case m.Forest.NumClasses() != len(m.Spec.Classes):
		return fmt.Errorf("%s has %d classes but %s predicts %d", SpecFile, len(m.Spec.Classes), ForestFile, m.Forest.NumClasses())
	case len(m.Spec.Stats) != len(m.Spec.Features):
		return fmt.Errorf("%s has statistics for %d of %d features", SpecFile, len(m.Spec.Stats), len(m.Spec.Features))
	}
	return nil
}

// Features returns the feature names in the order the model expects them.
func (m *Model) Features() []string { return m.Spec.Features }

// Classes returns the class names indexed by predicted class.
func (m *Model) Classes() []string { return m.Spec.Classes }

// NumClasses returns the number of classes.
func (m *Model) NumClasses() int { return len(m.Spec.Classes) }

// PredictProba writes the class probabilities of row into out, which must have
// NumClasses entries. It allocates nothing.
func (m *Model) PredictProba(row []float64, out []float64) { m.Forest.PredictProba(row, out) }
