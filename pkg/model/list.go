package model

import (
	"crypto/ed25519"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mlops-dev/mlops/pkg/registry"
	"github.com/mlops-dev/mlops/pkg/ui"
)

// Summary describes one version in the registry for listing.
type Summary struct {
	Name    string   `json:"name"`
	Version int      `json:"version"`
	Aliases []string `json:"aliases"`
	// CreatedAt is zero, and omitted from JSON, for a version that failed
	// verification, because its manifest cannot be trusted.
	CreatedAt time.Time `json:"created_at,omitzero"`
	Accuracy  *float64  `json:"holdout_accuracy,omitempty"`
	Verified  bool      `json:"verified"`
	Problem   string    `json:"problem,omitempty"`
	Digest    string    `json:"digest,omitempty"`
}

// List verifies and summarises every version of every model in reg, or of one model
// when name is not empty. A version that fails verification is listed with its problem.
func List(reg *registry.Registry, name string, pub ed25519.PublicKey) ([]Summary, error) {
	names := []string{name}
	if name == "" {
		var err error
		if names, err = reg.Models(); err != nil {
			return nil, err
		}
	}
	var out []Summary
	for _, n := range names {
		versions, err := reg.Versions(n)
		if err != nil {
			return nil, err
		}
		aliases, err := reg.Aliases(n)
		if err != nil {
			return nil, err
		}
		for _, v := range versions {
			out = append(out, summarise(reg, n, v, aliases, pub))
		}
	}
	return out, nil
}

func summarise(reg *registry.Registry, name string, version int, aliases map[string]int, pub ed25519.PublicKey) Summary {
	s := Summary{Name: name, Version: version, Aliases: []string{}}
	for alias, v := range aliases {
		if v == version {
			s.Aliases = append(s.Aliases, alias)
		}
	}
	sort.Strings(s.Aliases)
	art, err := reg.Load(name, version, pub)
	if err != nil {
		s.Problem = err.Error()
		return s
	}
	m, err := Decode(art)
	if err != nil {
		s.Problem = err.Error()
		return s
	}
	s.Verified, s.Digest, s.CreatedAt = true, m.Digest, m.Metadata.CreatedAt
	acc := m.Metadata.Metrics.Holdout.Accuracy
	s.Accuracy = &acc
	return s
}

// RenderList prints summaries as a table or JSON.
func RenderList(s *ui.Streams, list []Summary) error {
	if s.JSON {
		if list == nil {
			list = []Summary{}
		}
		return s.WriteJSON(list)
	}
	t := &ui.Table{Headers: []string{"MODEL", "VERSION", "ALIASES", "CREATED", "ACCURACY", "SIGNATURE"}}
	for _, m := range list {
		created, acc, sig := "-", "-", "verified"
		if !m.CreatedAt.IsZero() {
			created = m.CreatedAt.Local().Format("2006-01-02 15:04")
		}
		if m.Accuracy != nil {
			acc = fmt.Sprintf("%.4f", *m.Accuracy)
		}
		if !m.Verified {
			sig = "FAILED: " + m.Problem
		}
		t.AddRow(m.Name, fmt.Sprintf("v%d", m.Version), strings.Join(m.Aliases, ","), created, acc, sig)
	}
	s.Render(t)
	return nil
}
