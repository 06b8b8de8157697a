// Package stack applies a project's docker-compose.yml to a Docker engine.
// It loads the file with compose-go and plans labelled containers, networks
// and volumes. Up converges the engine to that plan and Down removes it;
// Restart, Status and Logs work on the running services. The package never
// prints: progress goes to a Reporter and results are returned.
package stack

import (
	"context"
	"io"
	"time"

	"github.com/mlops-dev/mlops/pkg/engine"
)

// Engine is the part of the Docker engine that stack uses. *engine.Client
// implements it.
type Engine interface {
	InspectImage(ctx context.Context, ref string) (engine.Image, error)
	PullImage(ctx context.Context, ref string, progress func(engine.Progress)) error

	CreateNetwork(ctx context.Context, spec engine.NetworkSpec) (string, error)
	ListNetworks(ctx context.Context, labels map[string]string) ([]engine.Network, error)
	FindNetwork(ctx context.Context, name string) (engine.Network, error)
	RemoveNetwork(ctx context.Context, id string) error

	CreateVolume(ctx context.Context, spec engine.VolumeSpec) error
	ListVolumes(ctx context.Context, labels map[string]string) ([]engine.Volume, error)
	FindVolume(ctx context.Context, name string) (engine.Volume, error)
	RemoveVolume(ctx context.Context, name string) error

	CreateContainer(ctx context.Context, spec engine.ContainerSpec) (string, error)
	StartContainer(ctx context.Context, id string) error
	StopContainer(ctx context.Context, id string, timeout time.Duration) error
	RestartContainer(ctx context.Context, id string, timeout time.Duration) error
	RemoveContainer(ctx context.Context, id string) error
	ListContainers(ctx context.Context, labels map[string]string) ([]engine.Container, error)
	FindContainer(ctx context.Context, name string) (engine.Container, error)
	InspectContainer(ctx context.Context, id string) (engine.ContainerState, error)
	Logs(ctx context.Context, id string, opts engine.LogOptions, stdout, stderr io.Writer) error
}

// Action names a step in an Event.
type Action string

// Actions reported while applying a plan. Each service goes through some of
// them in this order; ActionFailed may end any step.
const (
	ActionPulling    Action = "pulling"
	ActionPulled     Action = "pulled"
	ActionCreated    Action = "created"
	ActionRecreating Action = "recreating"
	ActionStarting   Action = "starting"
	ActionStarted    Action = "started"
	ActionUnchanged  Action = "unchanged"
	ActionWaiting    Action = "waiting"
	ActionHealthy    Action = "healthy"
	ActionRestarting Action = "restarting"
	ActionStopping   Action = "stopping"
	ActionRemoved    Action = "removed"
	// ActionOrphaned marks a container of the project whose service is not
	// in the plan. Up leaves it running; Down removes it.
	ActionOrphaned Action = "orphaned"
	ActionFailed   Action = "failed"
)

// Event is one progress report. Object is a service name, or a network,
// volume or image name when Kind is "network", "volume" or "image".
type Event struct {
	// Kind is "service", "image", "network" or "volume".
	Kind   string
	Object string
	Action Action
	// Detail is free text such as pull progress or an error message.
	Detail string
}

// Reporter receives progress while a stack command runs. Calls may come
// from several goroutines at once.
type Reporter interface {
	Report(Event)
}

// ReporterFunc adapts a function to a Reporter.
type ReporterFunc func(Event)

// Report calls f(e).
func (f ReporterFunc) Report(e Event) { f(e) }

// Stack runs stack commands against one engine.
type Stack struct {
	engine   Engine
	reporter Reporter
}

// New returns a Stack that talks to eng and reports to rep (nil for none).
func New(eng Engine, rep Reporter) *Stack {
	if rep == nil {
		rep = ReporterFunc(func(Event) {})
	}
	return &Stack{engine: eng, reporter: rep}
}

func (s *Stack) report(kind, object string, action Action, detail string) {
	s.reporter.Report(Event{Kind: kind, Object: object, Action: action, Detail: detail})
}

func projectLabels(project string) map[string]string {
	return map[string]string{engine.LabelProject: project}
}

var _ Engine = (*engine.Client)(nil)
