package deploy

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mlops-dev/mlops/pkg/config"
	"github.com/mlops-dev/mlops/pkg/engine"
	"github.com/mlops-dev/mlops/pkg/registry"
	"github.com/mlops-dev/mlops/pkg/stack"
	"github.com/mlops-dev/mlops/pkg/swarm"
	"github.com/mlops-dev/mlops/pkg/ui"
)

// swarmSession is one connection to a swarm manager with the project loaded.
type swarmSession struct {
	cfg     *config.Config
	eng     *engine.Client
	swarm   *swarm.Swarm
	project string
}

func openSwarm(ctx context.Context, s *ui.Streams, cfg *config.Config, initSwarm bool) (*swarmSession, error) {
	eng, err := engine.New(ctx)
	if err != nil {
		return nil, err
	}
	sw := swarm.New(eng, reporter(s))
	initialised, err := sw.CheckManager(ctx, initSwarm)
	if err != nil {
		eng.Close()
		return nil, err
	}
	if initialised {
		s.Statusf("initialised a single-node swarm on this engine")
	}
	return &swarmSession{cfg: cfg, eng: eng, swarm: sw, project: cfg.Project}, nil
}

// UpSwarm deploys the compose file as swarm services: the api with opts.Replicas
// replicas, secrets as Docker secrets, read-only files as configs. A new model
// version in the served alias rolls the api one replica at a time.
func UpSwarm(ctx context.Context, s *ui.Streams, cfg *config.Config, opts Options) error {
	ss, err := openSwarm(ctx, s, cfg, opts.InitSwarm)
	if err != nil {
		return err
	}
	defer ss.eng.Close()

	project, err := stack.Load(ctx, stack.LoadOptions{Dir: cfg.Dir, Name: cfg.Project, Env: composeEnv(opts.Skip)})
	if err != nil {
		return err
	}
	plan, err := swarm.NewPlan(project, swarm.PlanOptions{
		Skip:                 opts.Skip,
		Replicas:             map[string]uint64{"api": uint64(opts.Replicas)},
		Revisions:            map[string]string{"api": servedModel(cfg)},
		PublishAllInterfaces: opts.PublishAllInterfaces,
		EndpointMode:         cfg.Swarm.EndpointMode,
	})
	if err != nil {
		return err
	}
	for _, w := range plan.Warnings {
		s.Statusf("warning: %s", w)
	}
	images := map[string]string{}
	for _, svc := range plan.Services {
		images[svc.Name] = svc.Spec.TaskTemplate.ContainerSpec.Image
	}
	if err := buildImages(ctx, s, ss.eng, images, opts); err != nil {
		return err
	}
	if err := ss.swarm.Deploy(ctx, plan, swarm.DeployOptions{WaitTimeout: opts.WaitTimeout}); err != nil {
		return err
	}
	return ss.printStatus(ctx, s)
}

// servedModel names the model version the api serves, such as iris:v3, so that a
// promotion changes the api's revision label and rolls it. An unresolvable alias
// yields the bare reference; the api reports the problem when it starts.
func servedModel(cfg *config.Config) string {
	ref := registry.Ref{Name: cfg.Models.Name}
	if cfg.Models.Alias != registry.ProductionAlias {
		ref.Alias = cfg.Models.Alias
	}
	name, version, err := registry.Open(cfg.Path(cfg.Models.Dir)).Resolve(ref)
	if err != nil {
		return ref.String()
	}
	return fmt.Sprintf("%s:v%d", name, version)
}

// Scale sets the replica count of one service.
func Scale(ctx context.Context, s *ui.Streams, cfg *config.Config, service string, replicas uint64, opts Options) error {
	ss, err := openSwarm(ctx, s, cfg, false)
	if err != nil {
		return err
	}
	defer ss.eng.Close()
	if err := ss.swarm.Scale(ctx, ss.project, service, replicas, swarm.DeployOptions{WaitTimeout: opts.WaitTimeout}); err != nil {
		return err
	}
	return ss.printStatus(ctx, s)
}

// StatusSwarm prints the project's services with desired and running replicas.
func StatusSwarm(ctx context.Context, s *ui.Streams, cfg *config.Config) error {
	ss, err := openSwarm(ctx, s, cfg, false)
	if err != nil {
		return err
	}
	defer ss.eng.Close()
	return ss.printStatus(ctx, s)
}

func (ss *swarmSession) printStatus(ctx context.Context, s *ui.Streams) error {
	rows, err := ss.swarm.Status(ctx, ss.project)
	if err != nil {
		return err
	}
	if s.JSON {
		if rows == nil {
			rows = []swarm.ServiceStatus{}
		}
		return s.WriteJSON(rows)
	}
	t := &ui.Table{Headers: []string{"SERVICE", "MODE", "REPLICAS", "UPDATE", "PORTS", "IMAGE"}}
	for _, r := range rows {
		update := dash(r.Update)
		if r.UpdateMessage != "" {
			update += ": " + r.UpdateMessage
		}
		t.AddRow(r.Service, r.Mode, fmt.Sprintf("%d/%d", r.Running, r.Desired), update, dash(strings.Join(r.Ports, ",")), r.Image)
	}
	s.Render(t)
	return nil
}

// DownSwarm removes the project's services, secrets, configs and networks, and its
// volumes with opts.Volumes.
func DownSwarm(ctx context.Context, s *ui.Streams, cfg *config.Config, opts Options) error {
	ss, err := openSwarm(ctx, s, cfg, false)
	if err != nil {
		return err
	}
	defer ss.eng.Close()
	return ss.swarm.Down(ctx, ss.project, swarm.DownOptions{Volumes: opts.Volumes})
}

// LogsSwarm writes the selected services' logs to w, each line prefixed by its service.
func LogsSwarm(ctx context.Context, s *ui.Streams, cfg *config.Config, opts Options, w io.Writer) error {
	ss, err := openSwarm(ctx, s, cfg, false)
	if err != nil {
		return err
	}
	defer ss.eng.Close()
	return ss.swarm.Logs(ctx, ss.project, opts.Services, engine.LogOptions{Follow: opts.Follow, Tail: opts.Tail}, w)
}
