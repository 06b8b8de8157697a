// Package swarm deploys a project's compose file to Docker Swarm as
// replicated services. It plans overlay networks, secrets, configs and
// service specs from a project loaded by stack.Load, applies them through
// the engine's swarm API, and scales, inspects, logs and removes them.
// Everything it creates carries the com.mlops.project label, and it never
// changes or removes an object without that label.
//
// The package never prints: progress goes to a stack.Reporter and results
// are returned.
package swarm

import (
	"context"
	"errors"
	"fmt"
	"io"

	swarmtypes "github.com/docker/docker/api/types/swarm"

	"github.com/mlops-dev/mlops/pkg/engine"
	"github.com/mlops-dev/mlops/pkg/stack"
)

// Engine is the part of the Docker engine that swarm mode uses.
// *engine.Client implements it.
type Engine interface {
	SwarmState(ctx context.Context) (engine.SwarmState, error)
	InitSwarm(ctx context.Context, advertiseAddr string) (string, error)
	Versions() engine.Versions

	CreateOverlayNetwork(ctx context.Context, spec engine.OverlayNetworkSpec) (string, error)
	ListNetworks(ctx context.Context, labels map[string]string) ([]engine.Network, error)
	FindNetwork(ctx context.Context, name string) (engine.Network, error)
	RemoveNetwork(ctx context.Context, id string) error
	ListVolumes(ctx context.Context, labels map[string]string) ([]engine.Volume, error)
	RemoveVolume(ctx context.Context, name string) error

	CreateSecret(ctx context.Context, name string, data []byte, labels map[string]string) (string, error)
	ListSecrets(ctx context.Context, labels map[string]string) ([]engine.Object, error)
	RemoveSecret(ctx context.Context, id string) error
	CreateConfig(ctx context.Context, name string, data []byte, labels map[string]string) (string, error)
	ListConfigs(ctx context.Context, labels map[string]string) ([]engine.Object, error)
	RemoveConfig(ctx context.Context, id string) error

	CreateService(ctx context.Context, spec swarmtypes.ServiceSpec) (string, []string, error)
	UpdateService(ctx context.Context, id string, version swarmtypes.Version,
		spec swarmtypes.ServiceSpec) ([]string, error)
	InspectService(ctx context.Context, nameOrID string) (swarmtypes.Service, error)
	ListServices(ctx context.Context, labels map[string]string) ([]swarmtypes.Service, error)
	RemoveService(ctx context.Context, id string) error
	ListTasks(ctx context.Context, serviceID string) ([]swarmtypes.Task, error)
	ServiceLogs(ctx context.Context, id string, opts engine.LogOptions, stdout, stderr io.Writer) error
	ListContainers(ctx context.Context, labels map[string]string) ([]engine.Container, error)
}

var _ Engine = (*engine.Client)(nil)

// Errors that callers test with errors.Is.
var (
	// ErrRolledBack means an update failed and the engine rolled the
	// service back to its previous spec.
	ErrRolledBack = errors.New("update rolled back")
	// ErrForeign means a name the plan needs belongs to an object without
	// the project's label.
	ErrForeign = errors.New("name taken by an object of another owner")
)

// Swarm runs swarm-mode commands against one engine.
type Swarm struct {
	engine   Engine
	reporter stack.Reporter
}

// New returns a Swarm that talks to eng and reports to rep (nil for none).
func New(eng Engine, rep stack.Reporter) *Swarm {
	if rep == nil {
		rep = stack.ReporterFunc(func(stack.Event) {})
	}
	return &Swarm{engine: eng, reporter: rep}
}

func (s *Swarm) report(kind, object string, action stack.Action, detail string) {
	s.reporter.Report(stack.Event{Kind: kind, Object: object, Action: action, Detail: detail})
}

// CheckManager returns nil when the engine is a swarm manager. Otherwise,
// with initSwarm set and the engine in no swarm, it initialises a
// single-node swarm advertised on 127.0.0.1 and reports that it did. Any
// other state gives an error wrapping engine.ErrNotManager that says how
// to become a manager.
func (s *Swarm) CheckManager(ctx context.Context, initSwarm bool) (initialised bool, err error) {
	st, err := s.engine.SwarmState(ctx)
	if err != nil {
		return false, err
	}
	if st.Active() && st.Manager {
		return false, nil
	}
	if st.Active() {
		return false, fmt.Errorf("%w: this engine is a worker of swarm node %s; "+
			"run mlops on a manager node, or promote this one with `docker node promote`",
			engine.ErrNotManager, st.NodeID)
	}
	if st.LocalState != string(swarmtypes.LocalNodeStateInactive) {
		return false, fmt.Errorf("%w: swarm state is %q %s; fix the swarm with `docker swarm` first",
			engine.ErrNotManager, st.LocalState, st.Error)
	}
	if !initSwarm {
		return false, fmt.Errorf("%w: run `docker swarm init` to make this engine a one-node swarm, "+
			"join it to an existing swarm as a manager, or pass --init-swarm for a single-node trial",
			engine.ErrNotManager)
	}
	if _, err := s.engine.InitSwarm(ctx, "127.0.0.1"); err != nil {
		return false, err
	}
	s.report("swarm", "local", stack.ActionCreated, "single-node swarm advertised on 127.0.0.1")
	return true, nil
}

func projectLabels(project string) map[string]string {
	return map[string]string{engine.LabelProject: project}
}
