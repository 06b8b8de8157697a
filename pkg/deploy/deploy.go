// Package deploy runs the project's compose stack for the CLI: it connects to the
// Docker engine, loads and plans docker-compose.yml, builds the api image from the
// running binary, and reports progress and results on the terminal.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/config"
	"github.com/mlops-dev/mlops/pkg/engine"
	"github.com/mlops-dev/mlops/pkg/imagebuild"
	"github.com/mlops-dev/mlops/pkg/scaffold"
	"github.com/mlops-dev/mlops/pkg/stack"
	"github.com/mlops-dev/mlops/pkg/ui"
)

// Options selects the project and what to do with it.
type Options struct {
	// Skip leaves services out of the plan, for example one whose image is missing.
	Skip []string
	// Services limits restart and logs to these services; empty means all.
	Services    []string
	WaitTimeout time.Duration
	// Binary is the static mlops binary the api image is built from; empty means the
	// running executable.
	Binary  string
	Version string

	// Swarm options: api replicas, making this engine a single-node swarm when it is
	// not a manager, and accepting ports published on every interface.
	Replicas             int
	InitSwarm            bool
	PublishAllInterfaces bool

	Volumes bool // down: remove volumes too
	Follow  bool // logs: follow
	Tail    int  // logs: lines from the end; negative means all
}

// session is one connection to the engine with the project's plan.
type session struct {
	cfg   *config.Config
	eng   *engine.Client
	plan  *stack.Plan
	stack *stack.Stack
}

func open(ctx context.Context, s *ui.Streams, cfg *config.Config, opts Options) (*session, error) {
	eng, err := engine.New(ctx)
	if err != nil {
		return nil, err
	}
	project, err := stack.Load(ctx, stack.LoadOptions{Dir: cfg.Dir, Name: cfg.Project, Env: composeEnv(opts.Skip)})
	if err != nil {
		eng.Close()
		return nil, err
	}
	plan, err := stack.NewPlan(project, stack.PlanOptions{Skip: opts.Skip})
	if err != nil {
		eng.Close()
		return nil, err
	}
	return &session{cfg: cfg, eng: eng, plan: plan, stack: stack.New(eng, reporter(s))}, nil
}

func (ss *session) close() { ss.eng.Close() }

// composeEnv returns the process environment with the user variables that the compose
// file from init uses. MLOPS_UID and MLOPS_GID let Traefik read the certificate
// files it mounts. MLOPS_API_UID and MLOPS_API_GID run the api as the host user so
// that it can read the project's 0600 files, unless that user is root: the api then
// keeps the image's unprivileged user 65532.
//
// With redis left out, MLOPS_API_REDIS_ADDR is set empty so that the api limits rates
// in memory instead of trying to reach a Redis that does not exist.
func composeEnv(skip []string) []string {
	env := os.Environ()
	if slices.Contains(skip, "redis") {
		env = append(env, "MLOPS_API_REDIS_ADDR=")
	}
	setDefault := func(name string, value int) {
		if os.Getenv(name) == "" {
			env = append(env, name+"="+strconv.Itoa(value))
		}
	}
	setDefault("MLOPS_UID", os.Getuid())
	setDefault("MLOPS_GID", os.Getgid())
	if os.Getuid() != 0 {
		setDefault("MLOPS_API_UID", os.Getuid())
		setDefault("MLOPS_API_GID", os.Getgid())
	}
	return env
}

// apiContainerUser is the user the api image runs as when up runs as root.
const apiContainerUser = 65532

// prepareClientsFile creates the client file the api container mounts. When up runs
// as root, the api runs as apiContainerUser, so the 0600 file is handed to that user;
// 'mlops clients' keeps the owner when it rewrites the file.
func prepareClientsFile(s *ui.Streams, path string) error {
	if err := auth.EnsureClientsFile(path); err != nil {
		return err
	}
	if os.Geteuid() != 0 || os.Getenv("MLOPS_API_UID") != "" {
		return nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Uid == apiContainerUser {
		return nil
	}
	if err := os.Chown(path, apiContainerUser, apiContainerUser); err != nil {
		return err
	}
	s.Statusf("gave %s to user %d, which the api container runs as when up runs as root", path, apiContainerUser)
	return nil
}

// checkBindSources reports a bind mount whose host path is missing. Docker would
// create an empty directory in its place, which hides the real problem.
func checkBindSources(plan *stack.Plan) error {
	for _, svc := range plan.Services {
		for _, m := range svc.Spec.Mounts {
			if m.Type != "bind" {
				continue
			}
			if _, err := os.Stat(m.Source); err != nil {
				return fmt.Errorf("service %s mounts %s, which does not exist (%s); %s",
					svc.Name, m.Source, m.Target, bindHint(m.Source))
			}
		}
	}
	return nil
}

func bindHint(source string) string {
	switch {
	case strings.HasSuffix(source, "signing.pub"), strings.HasSuffix(source, "models"):
		return "run 'mlops train' first to create the signing keys and a model"
	default:
		return "create it, or fix the path in docker-compose.yml"
	}
}

// reporter prints one line per stack event on stderr. Events carry no carriage
// returns, so the output reads the same on a terminal and in a log.
func reporter(s *ui.Streams) stack.Reporter {
	return stack.ReporterFunc(func(ev stack.Event) {
		if s.Quiet && ev.Action != stack.ActionFailed {
			return
		}
		line := fmt.Sprintf("%-8s %-12s %s", ev.Kind, ev.Object, ev.Action)
		if ev.Detail != "" {
			line += ": " + ev.Detail
		}
		fmt.Fprintln(s.Err, strings.TrimRight(line, " "))
	})
}

// Up builds the api image when the plan uses an mlops image, applies the plan, and
// prints the status table with the service URLs.
func Up(ctx context.Context, s *ui.Streams, cfg *config.Config, opts Options) error {
	ss, err := open(ctx, s, cfg, opts)
	if err != nil {
		return err
	}
	defer ss.close()

	if err := prepareClientsFile(s, cfg.Path(cfg.Serve.ClientsFile)); err != nil {
		return fmt.Errorf("serve.clients_file: %w", err)
	}
	if err := checkBindSources(ss.plan); err != nil {
		return err
	}
	images := map[string]string{}
	for _, svc := range ss.plan.Services {
		images[svc.Name] = svc.Spec.Image
	}
	if err := buildImages(ctx, s, ss.eng, images, opts); err != nil {
		return err
	}
	if err := ss.stack.Up(ctx, ss.plan, stack.UpOptions{WaitTimeout: opts.WaitTimeout}); err != nil {
		if errors.Is(err, stack.ErrImageUnavailable) {
			return ss.missingImages(ctx, err)
		}
		return err
	}
	return ss.printStatus(ctx, s)
}

// missingImages sums up the images that are neither local nor pullable in one line;
// the pull error of each was already printed as it happened.
func (ss *session) missingImages(ctx context.Context, cause error) error {
	var missing, services []string
	for _, svc := range ss.plan.Services {
		if _, err := ss.eng.InspectImage(ctx, svc.Spec.Image); err != nil {
			missing = append(missing, fmt.Sprintf("%s (%s)", svc.Name, svc.Spec.Image))
			services = append(services, svc.Name)
		}
	}
	if len(missing) == 0 {
		return cause
	}
	return fmt.Errorf("%w: %s; load them with 'docker load' or leave them out with --skip %s",
		stack.ErrImageUnavailable, strings.Join(missing, ", "), strings.Join(services, ","))
}

// buildImages builds every image named mlops:TAG from the mlops binary, which is how
// the api image exists on a machine without a registry. images maps service names to
// image references.
func buildImages(ctx context.Context, s *ui.Streams, eng *engine.Client, images map[string]string, opts Options) error {
	binary := opts.Binary
	if binary == "" {
		var err error
		if binary, err = os.Executable(); err != nil {
			return fmt.Errorf("find the mlops binary for the api image: %w", err)
		}
	}
	for service, image := range images {
		if !strings.HasPrefix(image, "mlops:") {
			continue
		}
		built, err := imagebuild.Ensure(ctx, eng, imagebuild.Options{Binary: binary, Tag: image, Version: opts.Version}, nil)
		if err != nil {
			return fmt.Errorf("build image %s for service %s: %w", image, service, err)
		}
		if built {
			s.Statusf("image    %-12s built from %s", image, binary)
		}
	}
	return nil
}

// Status prints the project's services as a table, or JSON.
func Status(ctx context.Context, s *ui.Streams, cfg *config.Config, opts Options) error {
	ss, err := open(ctx, s, cfg, opts)
	if err != nil {
		return err
	}
	defer ss.close()
	return ss.printStatus(ctx, s)
}

func (ss *session) printStatus(ctx context.Context, s *ui.Streams) error {
	rows, err := ss.stack.Status(ctx, ss.plan.Project, ss.plan)
	if err != nil {
		return err
	}
	urls := map[string]string{}
	for _, h := range scaffold.Hosts(ss.cfg.Domain, ss.cfg.HTTPSPort, ss.cfg.Stack.Services) {
		if urls[h.Service] != "" {
			urls[h.Service] += " "
		}
		urls[h.Service] += h.PublicURL
	}
	if s.JSON {
		type row struct {
			stack.ServiceStatus
			URL string `json:"url,omitempty"`
		}
		out := make([]row, len(rows))
		for i, r := range rows {
			out[i] = row{r, urls[r.Service]}
		}
		return s.WriteJSON(out)
	}
	t := &ui.Table{Headers: []string{"SERVICE", "CONTAINER", "STATE", "HEALTH", "PORTS", "IMAGE", "URL"}}
	for _, r := range rows {
		t.AddRow(r.Service, dash(r.Container), r.State, dash(r.Health), dash(strings.Join(r.Ports, ",")), r.Image, dash(urls[r.Service]))
	}
	s.Render(t)
	return nil
}

// Down stops and removes the project's containers and networks, and its volumes
// with opts.Volumes.
func Down(ctx context.Context, s *ui.Streams, cfg *config.Config, opts Options) error {
	ss, err := open(ctx, s, cfg, opts)
	if err != nil {
		return err
	}
	defer ss.close()
	return ss.stack.Down(ctx, ss.plan.Project, stack.DownOptions{Volumes: opts.Volumes})
}

// Restart restarts the selected services and waits for their health checks.
func Restart(ctx context.Context, s *ui.Streams, cfg *config.Config, opts Options) error {
	ss, err := open(ctx, s, cfg, opts)
	if err != nil {
		return err
	}
	defer ss.close()
	if err := ss.stack.Restart(ctx, ss.plan, stack.RestartOptions{Services: opts.Services, WaitTimeout: opts.WaitTimeout}); err != nil {
		return err
	}
	return ss.printStatus(ctx, s)
}

// Logs writes the selected services' logs to w, each line prefixed by its service.
func Logs(ctx context.Context, s *ui.Streams, cfg *config.Config, opts Options, w io.Writer) error {
	ss, err := open(ctx, s, cfg, opts)
	if err != nil {
		return err
	}
	defer ss.close()
	return ss.stack.Logs(ctx, ss.plan.Project, stack.LogsOptions{Services: opts.Services, Follow: opts.Follow, Tail: opts.Tail}, w)
}

func dash(v string) string {
	if v == "" {
		return "-"
	}
	return v
}
