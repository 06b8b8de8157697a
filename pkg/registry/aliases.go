package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ProductionAlias is the alias that [Registry.Resolve] uses when a reference names
// neither a version nor an alias.
const ProductionAlias = "production"

// Aliases returns the aliases of a model as alias -> version. A model without aliases
// returns an empty map.
func (r *Registry) Aliases(name string) (map[string]int, error) {
	dir, err := r.modelDir(name)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, r.modelNotFound(name)
	}
	path := filepath.Join(dir, aliasesFile)
	data, err := readLimited(path, maxManifestSize)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]int{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read aliases of %s: %w", name, err)
	}
	aliases := map[string]int{}
	if err := json.Unmarshal(data, &aliases); err != nil {
		return nil, fmt.Errorf("read aliases %q: invalid JSON: %w", path, err)
	}
	for alias, v := range aliases {
		if err := ValidateAlias(alias); err != nil {
			return nil, fmt.Errorf("read aliases %q: %w", path, err)
		}
		if v < 1 {
			return nil, fmt.Errorf("read aliases %q: alias %q has invalid version %d", path, alias, v)
		}
	}
	return aliases, nil
}

// SetAlias points alias at an existing version of the model, replacing its old target.
// aliases.json is replaced atomically.
//
// NOTE: two processes changing aliases of the same model at the same moment can lose
// one of the updates, because the read-modify-write is not locked. The file itself is
// never torn.
func (r *Registry) SetAlias(name, alias string, version int) error {
	if err := ValidateAlias(alias); err != nil {
		return err
	}
	if _, err := r.versionDir(name, version); err != nil {
		return fmt.Errorf("set alias %s@%s: %w", name, alias, err)
	}
	aliases, err := r.Aliases(name)
	if err != nil {
		return err
	}
	aliases[alias] = version
	return r.writeAliases(name, aliases)
}

// DeleteAlias removes an alias from a model.
func (r *Registry) DeleteAlias(name, alias string) error {
	aliases, err := r.Aliases(name)
	if err != nil {
		return err
	}
	if _, ok := aliases[alias]; !ok {
		return notFound("model %s has no alias %q (aliases: %s)", name, alias, formatAliases(aliases))
	}
	delete(aliases, alias)
	return r.writeAliases(name, aliases)
}

func (r *Registry) writeAliases(name string, aliases map[string]int) error {
	data, err := json.MarshalIndent(aliases, "", "  ")
	if err != nil {
		return fmt.Errorf("encode aliases of %s: %w", name, err)
	}
	return writeFileAtomic(filepath.Join(r.Root, name, aliasesFile), append(data, '\n'), 0o644)
}

// Resolve returns the version a reference points at. A reference with a version needs
// that version to exist, one with an alias uses the alias, and one with neither uses the
// "production" alias if it is set, else the newest version. Errors wrap [ErrNotFound]
// and list the versions or aliases that exist.
func (r *Registry) Resolve(ref Ref) (name string, version int, err error) {
	if ref.Version < 0 {
		return "", 0, fmt.Errorf("invalid version %d in reference to %s", ref.Version, ref.Name)
	}
	if ref.Version > 0 && ref.Alias != "" {
		return "", 0, fmt.Errorf("reference %s names both version v%d and alias %q: give one", ref.Name, ref.Version, ref.Alias)
	}
	versions, err := r.Versions(ref.Name)
	if err != nil {
		return "", 0, err
	}
	if ref.Version > 0 {
		if _, err := r.versionDir(ref.Name, ref.Version); err != nil {
			return "", 0, err
		}
		return ref.Name, ref.Version, nil
	}

	aliases, err := r.Aliases(ref.Name)
	if err != nil {
		return "", 0, err
	}
	alias := ref.Alias
	if alias == "" {
		if _, ok := aliases[ProductionAlias]; !ok {
			if len(versions) == 0 {
				return "", 0, notFound("model %s has no versions", ref.Name)
			}
			return ref.Name, versions[len(versions)-1], nil
		}
		alias = ProductionAlias
	}
	v, ok := aliases[alias]
	if !ok {
		return "", 0, notFound("model %s has no alias %q (aliases: %s)", ref.Name, alias, formatAliases(aliases))
	}
	if _, err := r.versionDir(ref.Name, v); err != nil {
		return "", 0, fmt.Errorf("alias %s@%s points at v%d: %w", ref.Name, alias, v, err)
	}
	return ref.Name, v, nil
}

func formatAliases(aliases map[string]int) string {
	if len(aliases) == 0 {
		return "none"
	}
	names := make([]string, 0, len(aliases))
	for a := range aliases {
		names = append(names, a)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, a := range names {
		parts[i] = fmt.Sprintf("%s -> v%d", a, aliases[a])
	}
	return strings.Join(parts, ", ")
}
