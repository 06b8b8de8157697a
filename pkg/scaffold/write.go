package scaffold

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mlops-dev/mlops/pkg/certs"
)

// ErrConflict means files exist whose content would change; nothing was
// written. Force overwrites them.
var ErrConflict = errors.New("existing files would change")

// Action is the change init makes, or would make, to one file.
type Action string

// Actions in a Result.
const (
	ActionCreate    Action = "create"
	ActionUpdate    Action = "update"    // existed and differed; written because of Force
	ActionUnchanged Action = "unchanged" // existed with the same content; not touched
	ActionConflict  Action = "conflict"  // existed and differs; left alone without Force
)

// FileResult is one file of the project and what happened to it.
type FileResult struct {
	Path   string // relative to Result.Dir, slash-separated
	Mode   fs.FileMode
	Action Action
}

// Result describes a scaffolded project.
type Result struct {
	Dir     string
	Project string
	Files   []FileResult
	// Hosts are the HTTPS hosts of the selected services.
	Hosts []Host
	// HostsLine is the /etc/hosts line for Hosts.
	HostsLine string
	// CACert is the path of the local CA certificate, empty with ACME.
	CACert string
	// ACME is true when Let's Encrypt issues the certificates.
	ACME bool
	// DryRun is true when nothing was written.
	DryRun bool
}

// Conflicts returns the paths that exist and would change.
func (r *Result) Conflicts() []string {
	var paths []string
	for _, f := range r.Files {
		if f.Action == ActionConflict {
			paths = append(paths, f.Path)
		}
	}
	return paths
}

// dirModes are the empty folders a project starts with.
var dirModes = []struct {
	path string
	mode fs.FileMode
	acme bool // only with ACME
}{
	{"models", 0o755, false},
	{"keys", 0o700, false},
	{"traefik/acme", 0o700, true},
}

// Write renders the project described by opts into opts.Dir and, when out is
// not nil, writes a summary to it. Existing secrets, certificates and the
// dashboard password hash are kept, so running Write again with the same
// options changes nothing. A file that exists and would change is a
// conflict: without Force, Write returns ErrConflict with the paths and
// writes nothing. With DryRun it writes nothing and returns the plan.
func Write(ctx context.Context, opts Options, out io.Writer) (*Result, error) {
	opts, err := normalize(opts)
	if err != nil {
		return nil, err
	}
	files, err := Render(opts)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := newResult(opts)
	for _, f := range files {
		action, err := compare(opts.Dir, f)
		if err != nil {
			return nil, err
		}
		if action == ActionConflict && opts.Force {
			action = ActionUpdate
		}
		res.Files = append(res.Files, FileResult{Path: f.Path, Mode: f.Mode, Action: action})
	}
	if conflicts := res.Conflicts(); len(conflicts) > 0 && !opts.DryRun {
		return res, fmt.Errorf("%w in %s: %s; nothing was written, rerun with --force to overwrite them",
			ErrConflict, opts.Dir, strings.Join(conflicts, ", "))
	}
	if !opts.DryRun {
		if err := commit(opts, files, res.Files); err != nil {
			return nil, err
		}
	}
	if out != nil {
		if err := PrintSummary(out, res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// Render returns every file of the project for already valid opts, reading
// the secrets, certificates and password hash that dir already contains.
func Render(opts Options) ([]File, error) {
	opts, err := normalize(opts)
	if err != nil {
		return nil, err
	}
	uid, gid := hostUser(opts)
	env, err := buildEnv(opts.Dir, uid, gid)
	if err != nil {
		return nil, err
	}
	credential, err := dashboardCredential(opts.Dir, envValue(env, "DASHBOARD_PASSWORD"))
	if err != nil {
		return nil, err
	}
	files, err := renderFiles(newTemplateData(opts, env, credential))
	if err != nil {
		return nil, err
	}
	if opts.ACMEEmail != "" {
		slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
		return files, nil
	}
	certFiles, err := certificateFiles(opts)
	if err != nil {
		return nil, err
	}
	files = append(files, certFiles...)
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

func certificateFiles(opts Options) ([]File, error) {
	b, err := certs.Prepare(filepath.Join(opts.Dir, "certs"), certs.Options{
		Project: opts.Project,
		Hosts:   CertHosts(opts.Domain),
		Now:     opts.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("prepare certificates: %w", err)
	}
	return []File{
		{Path: "certs/" + certs.CACertFile, Mode: 0o644, Data: b.CA.CertPEM},
		{Path: "certs/" + certs.CAKeyFile, Mode: 0o600, Data: b.CA.KeyPEM},
		{Path: "certs/" + certs.CertFile, Mode: 0o644, Data: b.Leaf.CertPEM},
		{Path: "certs/" + certs.KeyFile, Mode: 0o600, Data: b.Leaf.KeyPEM},
	}, nil
}

// hostUser returns the uid and gid Traefik runs as. Root maps to 1000
// because the containers must not run as root.
func hostUser(opts Options) (int, int) {
	uid, gid := opts.UID, opts.GID
	if uid == 0 {
		uid = os.Getuid()
	}
	if gid == 0 {
		gid = os.Getgid()
	}
	// NOTE: when init runs as root, Traefik runs as 1000 and cannot read a
	// root-owned certs/server.key with mode 0600 until it is chowned.
	if uid <= 0 {
		uid = 1000
	}
	if gid <= 0 {
		gid = 1000
	}
	return uid, gid
}

func newResult(opts Options) *Result {
	hosts := Hosts(opts.Domain, opts.HTTPSPort, opts.Services)
	res := &Result{
		Dir:       opts.Dir,
		Project:   opts.Project,
		Hosts:     hosts,
		HostsLine: HostsLine(hosts),
		ACME:      opts.ACMEEmail != "",
		DryRun:    opts.DryRun,
	}
	if !res.ACME {
		res.CACert = filepath.Join(opts.Dir, "certs", certs.CACertFile)
	}
	return res
}

func compare(dir string, f File) (Action, error) {
	path := filepath.Join(dir, filepath.FromSlash(f.Path))
	old, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ActionCreate, nil
	case err != nil:
		return "", fmt.Errorf("read existing %s: %w", path, err)
	case bytes.Equal(old, f.Data):
		return ActionUnchanged, nil
	}
	return ActionConflict, nil
}

// commit writes every created or updated file to a temporary file first and
// renames them only when all were written, so a failure (a full disk, a
// folder without write permission) leaves the existing files as they were.
func commit(opts Options, files []File, results []FileResult) error {
	var created []string // folders made here, removed again on failure
	var temps []string
	ok := false
	defer func() {
		if ok {
			return
		}
		for _, t := range temps {
			os.Remove(t)
		}
		for _, d := range slices.Backward(created) {
			os.Remove(d) // only succeeds while still empty
		}
	}()
	for i, f := range files {
		if results[i].Action != ActionCreate && results[i].Action != ActionUpdate {
			temps = append(temps, "")
			continue
		}
		path := filepath.Join(opts.Dir, filepath.FromSlash(f.Path))
		if err := mkdirAll(filepath.Dir(path), 0o755, &created); err != nil {
			return err
		}
		tmp, err := writeTemp(path, f)
		if err != nil {
			return err
		}
		temps = append(temps, tmp)
	}
	if err := makeDirs(opts, &created); err != nil {
		return err
	}
	for i, f := range files {
		if temps[i] == "" {
			continue
		}
		path := filepath.Join(opts.Dir, filepath.FromSlash(f.Path))
		if err := os.Rename(temps[i], path); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	ok = true
	return nil
}

func makeDirs(opts Options, created *[]string) error {
	for _, d := range dirModes {
		if d.acme && opts.ACMEEmail == "" {
			continue
		}
		if err := mkdirAll(filepath.Join(opts.Dir, filepath.FromSlash(d.path)), d.mode, created); err != nil {
			return err
		}
	}
	return nil
}

// mkdirAll creates path and its missing parents with mode and records each
// folder it created.
func mkdirAll(path string, mode fs.FileMode, created *[]string) error {
	var missing []string
	for p := path; ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil {
			break
		}
		missing = append(missing, p)
		if filepath.Dir(p) == p {
			break
		}
	}
	for _, p := range slices.Backward(missing) {
		if err := os.Mkdir(p, mode); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create folder %s: %w", p, err)
		}
		*created = append(*created, p)
	}
	return nil
}

func writeTemp(path string, f File) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	err = tmp.Chmod(f.Mode)
	if err == nil {
		_, err = tmp.Write(f.Data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return name, nil
}
