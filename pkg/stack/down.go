package stack

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/mlops-dev/mlops/pkg/engine"
)

// DownOptions adjusts Down.
type DownOptions struct {
	// Volumes also removes the project's named volumes, and with them its
	// data (models, Grafana and Prometheus data).
	Volumes bool
	// StopTimeout is how long each container gets to stop before it is
	// killed; DefaultStopTimeout when zero.
	StopTimeout time.Duration
}

// Down stops and removes every container and network that carries the
// project's label, and its volumes too when opts.Volumes is set. Objects
// without the label are never touched, even if their names match.
func (s *Stack) Down(ctx context.Context, project string, opts DownOptions) error {
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = DefaultStopTimeout
	}
	labels := projectLabels(project)
	containers, err := s.engine.ListContainers(ctx, labels)
	if err != nil {
		return err
	}
	for _, c := range containers {
		service := c.Labels[engine.LabelService]
		if c.State == "running" || c.State == "restarting" || c.State == "paused" {
			s.report("service", service, ActionStopping, c.Name)
			err := s.engine.StopContainer(ctx, c.ID, opts.StopTimeout)
			if err != nil && !errors.Is(err, engine.ErrNotFound) {
				return fmt.Errorf("service %s: %w", service, err)
			}
		}
		if err := s.engine.RemoveContainer(ctx, c.ID); err != nil && !errors.Is(err, engine.ErrNotFound) {
			return fmt.Errorf("service %s: %w", service, err)
		}
		s.report("service", service, ActionRemoved, c.Name)
	}

	networks, err := s.engine.ListNetworks(ctx, labels)
	if err != nil {
		return err
	}
	for _, n := range networks {
		if err := s.engine.RemoveNetwork(ctx, n.ID); err != nil && !errors.Is(err, engine.ErrNotFound) {
			return err
		}
		s.report("network", n.Name, ActionRemoved, "")
	}

	if !opts.Volumes {
		return nil
	}
	volumes, err := s.engine.ListVolumes(ctx, labels)
	if err != nil {
		return err
	}
	for _, v := range volumes {
		if err := s.engine.RemoveVolume(ctx, v.Name); err != nil && !errors.Is(err, engine.ErrNotFound) {
			return err
		}
		s.report("volume", v.Name, ActionRemoved, "")
	}
	return nil
}

// RestartOptions adjusts Restart.
type RestartOptions struct {
	// Services to restart; all planned services when empty.
	Services []string
	// WaitTimeout bounds the wait for health; DefaultWaitTimeout when zero.
	WaitTimeout time.Duration
	// StopTimeout is how long each container gets to stop before it is
	// killed; DefaultStopTimeout when zero.
	StopTimeout time.Duration
}

// Restart restarts the containers of the chosen services in dependency
// order and waits for each to be healthy again before the next.
func (s *Stack) Restart(ctx context.Context, plan *Plan, opts RestartOptions) error {
	opts.WaitTimeout = cmpOr(opts.WaitTimeout, DefaultWaitTimeout)
	opts.StopTimeout = cmpOr(opts.StopTimeout, DefaultStopTimeout)
	for _, name := range opts.Services {
		if _, ok := plan.Service(name); !ok {
			return fmt.Errorf("cannot restart service %q: no such service in the plan (services: %v)",
				name, serviceNames(plan))
		}
	}
	containers, err := s.engine.ListContainers(ctx, projectLabels(plan.Project))
	if err != nil {
		return err
	}
	byService := map[string]engine.Container{}
	for _, c := range containers {
		byService[c.Labels[engine.LabelService]] = c
	}

	deadline := time.Now().Add(opts.WaitTimeout)
	for _, svc := range plan.Services {
		if len(opts.Services) > 0 && !slices.Contains(opts.Services, svc.Name) {
			continue
		}
		c, ok := byService[svc.Name]
		if !ok {
			return fmt.Errorf("service %s has no container: run up first", svc.Name)
		}
		s.report("service", svc.Name, ActionRestarting, c.Name)
		if err := s.engine.RestartContainer(ctx, c.ID, opts.StopTimeout); err != nil {
			return fmt.Errorf("service %s: %w", svc.Name, err)
		}
		if err := s.waitReady(ctx, svc, c.ID, deadline); err != nil {
			return err
		}
		s.report("service", svc.Name, ActionStarted, "")
	}
	return nil
}

func cmpOr(d, fallback time.Duration) time.Duration {
	if d <= 0 {
		return fallback
	}
	return d
}

func serviceNames(plan *Plan) []string {
	names := map[string]bool{}
	for _, s := range plan.Services {
		names[s.Name] = true
	}
	return slices.Sorted(maps.Keys(names))
}
