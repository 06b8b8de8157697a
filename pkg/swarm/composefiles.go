package swarm

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/go-units"
)

// composeFiles plans the service's secrets and configs keys: each named
// top-level entry is read from its file, environment variable or inline
// content and mounted at the target, /run/secrets/NAME for a secret and
// /NAME for a config when no target is given.
func (p *planner) composeFiles(where string, svc types.ServiceConfig, refs *fileRefs) error {
	for _, s := range svc.Secrets {
		obj, ok := p.project.Secrets[s.Source]
		data, err := p.fileObject(where+" secrets", s.Source, types.FileObjectConfig(obj), ok)
		if err != nil {
			return err
		}
		if err := unsupported(where+" secrets", s, supportedFileRefKeys); err != nil {
			return err
		}
		target := s.Target
		if target == "" {
			target = s.Source
		}
		p.addSecret(refs, "secret-"+s.Source, target, data)
	}
	for _, c := range svc.Configs {
		obj, ok := p.project.Configs[c.Source]
		data, err := p.fileObject(where+" configs", c.Source, types.FileObjectConfig(obj), ok)
		if err != nil {
			return err
		}
		if err := unsupported(where+" configs", c, supportedFileRefKeys); err != nil {
			return err
		}
		target := c.Target
		if target == "" {
			target = "/" + c.Source
		}
		p.addConfig(refs, "config-"+c.Source, target, data)
	}
	return nil
}

// fileObject returns the data of the top-level secret or config name.
func (p *planner) fileObject(where, name string, obj types.FileObjectConfig, ok bool) ([]byte, error) {
	if !ok {
		return nil, fmt.Errorf("%s: %q is not declared under the top-level key", where, name)
	}
	if err := unsupported(fmt.Sprintf("%s %q", where, name), obj, supportedFileObjKeys); err != nil {
		return nil, err
	}
	switch {
	case obj.File != "":
		data, err := os.ReadFile(obj.File)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", where, name, err)
		}
		return data, nil
	case obj.Environment != "":
		v, ok := p.project.Environment[obj.Environment]
		if !ok {
			return nil, fmt.Errorf("%s %q: variable %s is not set; add it to the .env file",
				where, name, obj.Environment)
		}
		return []byte(v), nil
	case obj.Content != "":
		return []byte(obj.Content), nil
	}
	return nil, fmt.Errorf("%s %q: set file, environment or content", where, name)
}

// tmpfsOptions parses the size and mode options of a tmpfs entry.
func tmpfsOptions(where, entry, opts string, out *mount.TmpfsOptions) error {
	if opts == "" {
		return nil
	}
	for _, opt := range strings.Split(opts, ",") {
		key, value, _ := strings.Cut(opt, "=")
		switch key {
		case "size":
			n, err := units.RAMInBytes(value)
			if err != nil || n <= 0 {
				return fmt.Errorf("%s tmpfs: invalid size %q in %q", where, value, entry)
			}
			out.SizeBytes = n
		case "mode":
			m, err := strconv.ParseUint(value, 8, 32)
			if err != nil {
				return fmt.Errorf("%s tmpfs: invalid octal mode %q in %q", where, value, entry)
			}
			out.Mode = os.FileMode(m)
		default:
			return fmt.Errorf("%s tmpfs: option %q in %q is not supported in swarm mode; use size and mode",
				where, key, entry)
		}
	}
	return nil
}
