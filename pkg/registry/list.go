package registry

import (
	"sort"
	"time"
)

// ModelInfo summarises one model for listings.
type ModelInfo struct {
	Name     string         `json:"name"`
	Versions []VersionInfo  `json:"versions"` // ascending
	Aliases  map[string]int `json:"aliases"`
}

// VersionInfo summarises one version from its manifest, which List does not verify.
type VersionInfo struct {
	Version      int       `json:"version"`
	CreatedAt    time.Time `json:"created_at"`
	MlopsVersion string    `json:"mlops_version,omitempty"`
	Files        int       `json:"files"`
	Size         int64     `json:"size"` // bytes, sum over the files
	Aliases      []string  `json:"aliases,omitempty"`
	// Problem describes why the manifest could not be read; the other fields are then
	// zero except Version and Aliases.
	Problem string `json:"problem,omitempty"`
}

// List returns every model with its versions and aliases, sorted by name. It reads the
// manifests without verifying signatures, so use [Registry.Verify] before trusting them.
// A version whose manifest cannot be read is listed with a Problem instead of failing
// the whole listing.
func (r *Registry) List() ([]ModelInfo, error) {
	names, err := r.Models()
	if err != nil {
		return nil, err
	}
	models := make([]ModelInfo, 0, len(names))
	for _, name := range names {
		info, err := r.modelInfo(name)
		if err != nil {
			return nil, err
		}
		models = append(models, info)
	}
	return models, nil
}

func (r *Registry) modelInfo(name string) (ModelInfo, error) {
	versions, err := r.Versions(name)
	if err != nil {
		return ModelInfo{}, err
	}
	aliases, err := r.Aliases(name)
	if err != nil {
		return ModelInfo{}, err
	}
	byVersion := map[int][]string{}
	for alias, v := range aliases {
		byVersion[v] = append(byVersion[v], alias)
	}

	info := ModelInfo{Name: name, Aliases: aliases}
	for _, v := range versions {
		vi := VersionInfo{Version: v, Aliases: byVersion[v]}
		sort.Strings(vi.Aliases)
		m, err := r.ReadManifest(name, v)
		if err != nil {
			vi.Problem = err.Error()
		} else {
			vi.CreatedAt = m.CreatedAt
			vi.MlopsVersion = m.MlopsVersion
			vi.Files = len(m.Files)
			for _, f := range m.Files {
				vi.Size += f.Size
			}
		}
		info.Versions = append(info.Versions, vi)
	}
	return info, nil
}
