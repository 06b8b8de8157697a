package swarm

import (
	"bytes"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/mount"
	swarmtypes "github.com/docker/docker/api/types/swarm"
)

// SecretDir is where swarm mounts a secret whose target is a bare name.
const SecretDir = "/run/secrets"

// fileRefs collects the secrets and configs one service mounts.
type fileRefs struct {
	secrets []*swarmtypes.SecretReference
	configs []*swarmtypes.ConfigReference
}

// secretOwner returns the owner and mode of the service's secret files:
// owned by the service's numeric user and readable by it alone, or, for a
// user given by name, which the engine cannot resolve, readable by all.
func secretOwner(user string) (uid, gid string, mode fs.FileMode) {
	if user == "" {
		return "0", "0", 0o400
	}
	u, g, hasGroup := strings.Cut(user, ":")
	if !hasGroup {
		g = u
	}
	if _, err := strconv.ParseUint(u, 10, 32); err != nil {
		return "0", "0", 0o444
	}
	if _, err := strconv.ParseUint(g, 10, 32); err != nil {
		return "0", "0", 0o444
	}
	return u, g, 0o400
}

// addSecret plans a secret with this data and mounts it at target, which
// is a name under SecretDir or an absolute path.
func (p *planner) addSecret(refs *fileRefs, key, target string, data []byte) {
	name := contentName(p.project.Name, key, data)
	p.secrets[name] = Object{Name: name, Data: data, Labels: p.labels}
	uid, gid, mode := secretOwner(p.user)
	if mode != 0o400 {
		p.warn("secret %s is mounted readable by every user of its task: user %q of the service is not numeric",
			target, p.user)
	}
	t := &swarmtypes.SecretReferenceFileTarget{Name: target, UID: uid, GID: gid, Mode: mode}
	refs.secrets = append(refs.secrets, &swarmtypes.SecretReference{SecretName: name, File: t})
}

// addConfig plans a config with this data and mounts it at target as a
// root-owned file that every user can read.
func (p *planner) addConfig(refs *fileRefs, key, target string, data []byte) {
	name := contentName(p.project.Name, key, data)
	p.configs[name] = Object{Name: name, Data: data, Labels: p.labels}
	t := &swarmtypes.ConfigReferenceFileTarget{Name: target, UID: "0", GID: "0", Mode: 0o444}
	refs.configs = append(refs.configs, &swarmtypes.ConfigReference{ConfigName: name, File: t})
}

// secretEnv returns the service's environment with each variable named in
// SecretEnv replaced by NAME_FILE pointing at a Docker secret.
func (p *planner) secretEnv(where string, svc types.ServiceConfig, refs *fileRefs) ([]string, error) {
	var env []string
	for _, k := range slices.Sorted(maps.Keys(svc.Environment)) {
		v := svc.Environment[k]
		if v == nil {
			continue
		}
		if !slices.Contains(p.opts.SecretEnv, k) {
			env = append(env, k+"="+*v)
			continue
		}
		if _, taken := svc.Environment[k+"_FILE"]; taken {
			return nil, fmt.Errorf("%s environment: both %s and %s_FILE are set; keep one", where, k, k)
		}
		file := strings.ToLower(k)
		p.addSecret(refs, file, file, []byte(*v))
		env = append(env, k+"_FILE="+path.Join(SecretDir, file))
	}
	return env, nil
}

// redisPassword moves `--requirepass VALUE` out of a redis-server command
// line, where `docker service inspect` would show it, into a configuration
// file mounted as a secret, which redis-server reads as its first argument.
func (p *planner) redisPassword(svc types.ServiceConfig, refs *fileRefs) ([]string, error) {
	args := nonEmpty(svc.Command)
	i := slices.Index(args, "--requirepass")
	if i < 0 || i+1 >= len(args) {
		return args, nil
	}
	if len(args) == 0 || path.Base(args[0]) != "redis-server" || len(svc.Entrypoint) > 0 {
		p.warn("service %q passes --requirepass on its command line, which `docker service inspect` shows; "+
			"start it as redis-server so mlops can move the password into a secret", svc.Name)
		return args, nil
	}
	if len(args) > 1 && !strings.HasPrefix(args[1], "-") {
		return nil, fmt.Errorf("service %q command: redis-server already reads the configuration file %s, "+
			"so the password cannot be moved into one; put requirepass in that file", svc.Name, args[1])
	}
	password := args[i+1]
	conf := []byte("requirepass " + redisQuote(password) + "\n")
	file := svc.Name + "-redis.conf"
	p.addSecret(refs, file, file, conf)

	out := []string{args[0], path.Join(SecretDir, file)}
	out = append(out, args[1:i]...)
	return append(out, args[i+2:]...), nil
}

// redisQuote writes s as a double-quoted string of redis.conf, whose
// parser reads \\, \" and \xHH escapes inside double quotes.
func redisQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\x%02x", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// mounts maps named volumes, tmpfs entries and bind mounts. A read-only
// bind mount of small files becomes configs, or secrets for files that
// hold private keys, so tasks on any node see the same files; other bind
// mounts stay and need the same path on every node.
func (p *planner) mounts(where string, svc types.ServiceConfig, refs *fileRefs) ([]mount.Mount, error) {
	var out []mount.Mount
	for _, v := range svc.Volumes {
		switch v.Type {
		case types.VolumeTypeVolume:
			if v.Source == "" {
				return nil, fmt.Errorf("%s volumes: anonymous volume at %s is not supported; "+
					"name it and declare it under the top-level volumes key", where, v.Target)
			}
			if _, ok := p.project.Volumes[v.Source]; !ok {
				return nil, fmt.Errorf("%s volumes: volume %q is not declared under the top-level volumes key",
					where, v.Source)
			}
			out = append(out, mount.Mount{
				Type: mount.TypeVolume, Source: objectName(p.project.Name, v.Source), Target: v.Target,
				ReadOnly: v.ReadOnly, VolumeOptions: &mount.VolumeOptions{Labels: p.labels},
			})
		case types.VolumeTypeBind:
			m, err := p.bind(where, svc.Name, v, refs)
			if err != nil {
				return nil, err
			}
			out = append(out, m...)
		default:
			return nil, fmt.Errorf("%s volumes: type %q at %s is not supported; "+
				"use a named volume, a bind mount, or the service's tmpfs key", where, v.Type, v.Target)
		}
	}
	tmp, err := tmpfsMounts(where, svc.Tmpfs)
	if err != nil {
		return nil, err
	}
	return append(out, tmp...), nil
}

func (p *planner) bind(where, service string, v types.ServiceVolumeConfig, refs *fileRefs) ([]mount.Mount, error) {
	keep := []mount.Mount{{Type: mount.TypeBind, Source: v.Source, Target: v.Target, ReadOnly: v.ReadOnly}}
	if !v.ReadOnly {
		p.warn("service %q mounts %s writable from this host: the path must exist on every node "+
			"that runs the service", service, v.Source)
		return keep, nil
	}
	files, err := p.readTree(v.Source)
	if err != nil {
		return nil, fmt.Errorf("%s volumes: read bind mount source %s: %w", where, v.Source, err)
	}
	if files == nil {
		p.warn("service %q mounts %s from this host because its files exceed %d files of %d bytes: "+
			"the path must exist on every node that runs the service", service, v.Source, maxMountFiles,
			p.opts.MaxFileBytes)
		return keep, nil
	}
	for _, rel := range slices.Sorted(maps.Keys(files)) {
		f := files[rel]
		target := path.Join(v.Target, filepath.ToSlash(rel))
		key := service + strings.ReplaceAll(target, "/", "-")
		if privateFile(rel, f.data) {
			p.addSecret(refs, key, target, f.data)
			continue
		}
		p.addConfig(refs, key, target, f.data)
	}
	return nil, nil
}

// treeFile is one regular file under a bind mount source.
type treeFile struct {
	data []byte
}

// readTree returns the regular files under src (a file or a directory)
// keyed by their path relative to src ("." for a file), or nil when they
// are too many or one is too large to ship as a config.
func (p *planner) readTree(src string) (map[string]treeFile, error) {
	info, err := os.Stat(src)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		if info.Size() > int64(p.opts.MaxFileBytes) {
			return nil, nil
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return nil, err
		}
		return map[string]treeFile{".": {data}}, nil
	}
	out := map[string]treeFile{}
	tooBig := false
	err = filepath.WalkDir(src, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Size() > int64(p.opts.MaxFileBytes) || len(out) >= maxMountFiles {
			tooBig = true
			return filepath.SkipAll
		}
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, name)
		if err != nil {
			return err
		}
		out[rel] = treeFile{data}
		return nil
	})
	if err != nil || tooBig {
		return nil, err
	}
	return out, nil
}

// privateFile reports whether a mounted file holds a private key or secret
// and so must be a secret, never a config, which the API returns in clear.
func privateFile(rel string, data []byte) bool {
	base := strings.ToLower(path.Base(filepath.ToSlash(rel)))
	switch {
	case strings.HasSuffix(base, ".key"), strings.Contains(base, "secret"), strings.Contains(base, "private"),
		strings.HasPrefix(base, "clients."), strings.HasPrefix(base, ".env"), base == "acme.json":
		return true
	}
	return bytes.Contains(data, []byte("PRIVATE KEY-----"))
}

// tmpfsMounts turns entries like "/tmp" or "/run:size=64m,mode=1777" into
// tmpfs mounts.
func tmpfsMounts(where string, list types.StringList) ([]mount.Mount, error) {
	var out []mount.Mount
	for _, entry := range list {
		target, opts, _ := strings.Cut(entry, ":")
		if !strings.HasPrefix(target, "/") {
			return nil, fmt.Errorf("%s tmpfs: %q is not an absolute path", where, entry)
		}
		m := mount.Mount{Type: mount.TypeTmpfs, Target: target, TmpfsOptions: &mount.TmpfsOptions{}}
		if err := tmpfsOptions(where, entry, opts, m.TmpfsOptions); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
