package registry

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

const (
	manifestFile  = "manifest.json"
	signatureFile = "manifest.sig"
	aliasesFile   = "aliases.json"

	// tempPrefix starts every temporary directory and file name. Model names cannot
	// start with a dot, so these never show up as models or versions.
	tempPrefix = ".tmp-"
)

var (
	// namePattern is the form of model and alias names: lowercase, one path component.
	namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	// filePattern is the form of the file names a version may contain (no directories).
	filePattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	versionPattern = regexp.MustCompile(`^v[1-9][0-9]{0,8}$`)
)

// ValidateName returns an error unless name is a valid model name: 1 to 63 characters
// from a-z, 0-9, '.', '_' and '-', starting with a letter or digit.
func ValidateName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("invalid model name %q: use 1-63 characters a-z 0-9 . _ -, starting with a letter or digit", name)
	}
	return nil
}

// ValidateAlias returns an error unless alias is a valid alias name. Aliases follow the
// same rules as model names.
func ValidateAlias(alias string) error {
	if !namePattern.MatchString(alias) {
		return fmt.Errorf("invalid alias %q: use 1-63 characters a-z 0-9 . _ -, starting with a letter or digit", alias)
	}
	return nil
}

// validateFileName returns an error unless name may be stored in a version directory.
func validateFileName(name string) error {
	if name == manifestFile || name == signatureFile {
		return fmt.Errorf("invalid file name %q: the name is reserved for the registry", name)
	}
	if !filePattern.MatchString(name) {
		return fmt.Errorf("invalid file name %q: use 1-128 characters A-Z a-z 0-9 . _ -, starting with a letter or digit, no directories", name)
	}
	return nil
}

// versionDirName returns the directory name of version n, such as "v3".
func versionDirName(n int) string {
	return "v" + strconv.Itoa(n)
}

// parseVersionDir returns the version number of a directory name such as "v3", or false.
func parseVersionDir(s string) (int, bool) {
	if !versionPattern.MatchString(s) {
		return 0, false
	}
	n, err := strconv.Atoi(s[1:])
	return n, err == nil
}

// Ref names a model version: by number, by alias, or neither (see [Registry.Resolve]).
type Ref struct {
	Name    string
	Version int // 0 = unset
	Alias   string
}

// String formats the reference the way [ParseRef] reads it.
func (r Ref) String() string {
	switch {
	case r.Version > 0:
		return r.Name + ":" + versionDirName(r.Version)
	case r.Alias != "":
		return r.Name + "@" + r.Alias
	default:
		return r.Name
	}
}

// ParseRef parses "NAME", "NAME:vN" (or "NAME:N") and "NAME@ALIAS".
func ParseRef(s string) (Ref, error) {
	if strings.Contains(s, ":") && strings.Contains(s, "@") {
		return Ref{}, fmt.Errorf("invalid model reference %q: give either :vN or @alias, not both", s)
	}
	if name, v, ok := strings.Cut(s, ":"); ok {
		n, err := parseVersionArg(v)
		if err != nil {
			return Ref{}, fmt.Errorf("invalid model reference %q: %w", s, err)
		}
		if err := ValidateName(name); err != nil {
			return Ref{}, fmt.Errorf("invalid model reference %q: %w", s, err)
		}
		return Ref{Name: name, Version: n}, nil
	}
	if name, alias, ok := strings.Cut(s, "@"); ok {
		if err := ValidateName(name); err != nil {
			return Ref{}, fmt.Errorf("invalid model reference %q: %w", s, err)
		}
		if err := ValidateAlias(alias); err != nil {
			return Ref{}, fmt.Errorf("invalid model reference %q: %w", s, err)
		}
		return Ref{Name: name, Alias: alias}, nil
	}
	if err := ValidateName(s); err != nil {
		return Ref{}, fmt.Errorf("invalid model reference %q: %w", s, err)
	}
	return Ref{Name: s}, nil
}

// parseVersionArg parses "v3" or "3" into 3.
func parseVersionArg(s string) (int, error) {
	digits := strings.TrimPrefix(s, "v")
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 || digits != strconv.Itoa(n) {
		return 0, fmt.Errorf("invalid version %q: want vN with N a positive whole number, such as v3", s)
	}
	return n, nil
}
