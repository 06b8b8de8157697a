package stack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
)

// DefaultComposeFile is the compose file name that mlops init writes.
const DefaultComposeFile = "docker-compose.yml"

// LoadOptions locates the compose file and sets how it is interpolated.
type LoadOptions struct {
	// Dir is the project directory. Relative bind mount sources and the
	// .env file used for ${VAR} interpolation are resolved against it.
	Dir string
	// File is the compose file, relative to Dir; DefaultComposeFile when empty.
	File string
	// Name is the project name. When empty, the compose file's top-level
	// name is used, then the base name of Dir.
	Name string
	// Env is extra VAR=value pairs for interpolation; they override the
	// .env file. The process environment is not read unless the caller
	// passes os.Environ() here.
	Env []string
}

var projectNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// Load reads and validates the compose file with compose-go, the loader that
// Docker Compose uses, including interpolation from the project's .env file.
func Load(ctx context.Context, opts LoadOptions) (*types.Project, error) {
	file := opts.File
	if file == "" {
		file = DefaultComposeFile
	}
	path := filepath.Join(opts.Dir, file)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("compose file %s not found: run mlops init first, or pass the project directory",
				path)
		}
		return nil, fmt.Errorf("read compose file: %w", err)
	}

	missing := map[string]bool{}
	optFns := []cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(opts.Dir),
		cli.WithEnv(opts.Env),
		cli.WithEnvFiles(),
		cli.WithDotEnv,
		cli.WithEnv(opts.Env),
		cli.WithResolvedPaths(true),
		cli.WithLoadOptions(func(o *loader.Options) {
			if o.Interpolate != nil {
				o.Interpolate.Substitute = recordingSubstitute(missing)
			}
		}),
	}
	if opts.Name != "" {
		optFns = append(optFns, cli.WithName(opts.Name))
	}
	po, err := cli.NewProjectOptions([]string{path}, optFns...)
	if err != nil {
		return nil, fmt.Errorf("load compose file %s: %w", path, err)
	}
	project, err := po.LoadProject(ctx)
	if err != nil {
		return nil, fmt.Errorf("load compose file %s: %w", path, err)
	}
	if err := checkUnset(path, missing); err != nil {
		return nil, err
	}
	if !projectNamePattern.MatchString(project.Name) {
		return nil, fmt.Errorf("invalid project name %q: use lowercase letters, digits, - and _, "+
			"starting with a letter or digit", project.Name)
	}
	return project, nil
}

// recordingSubstitute interpolates like compose-go but, in place of logging
// a warning to stderr, records each variable that has no value.
func recordingSubstitute(missing map[string]bool) func(string, template.Mapping) (string, error) {
	return func(tmpl string, mapping template.Mapping) (string, error) {
		recording := func(name string) (string, bool) {
			v, ok := mapping(name)
			if !ok {
				missing[name] = true
			}
			return v, ok
		}
		return template.SubstituteWithOptions(tmpl, recording, template.WithoutLogging)
	}
}

// checkUnset rejects a variable that has no value and that the compose file
// uses without a default: ${NAME} or $NAME, but not ${NAME:-default}.
func checkUnset(path string, missing map[string]bool) error {
	if len(missing) == 0 {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read compose file: %w", err)
	}
	names := make([]string, 0, len(missing))
	for name := range missing {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		plain := regexp.MustCompile(`\$(\{` + regexp.QuoteMeta(name) + `\}|` + regexp.QuoteMeta(name) + `\b)`)
		if plain.Match(data) {
			return fmt.Errorf("variable %s used in %s is not set: add it to the .env file next to it", name, path)
		}
	}
	return nil
}
