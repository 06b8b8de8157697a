package swarm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mlops-dev/mlops/pkg/engine"
	"github.com/mlops-dev/mlops/pkg/stack"
)

// DownOptions selects what Down removes besides services, secrets,
// configs and networks.
type DownOptions struct {
	// Volumes also removes the project's named volumes on this node. Other
	// nodes keep theirs.
	Volumes bool
	// Labels narrows removal to objects that also carry these labels.
	Labels map[string]string
	// Timeout bounds the wait for the tasks' containers to stop; 0 means
	// one minute.
	Timeout time.Duration
}

// Down removes the project's services, then, once their containers have
// stopped, its secrets, configs and overlay networks, and with
// opts.Volumes its volumes on this node. Only objects with the project's
// label are touched.
func (s *Swarm) Down(ctx context.Context, project string, opts DownOptions) error {
	if _, err := s.CheckManager(ctx, false); err != nil {
		return err
	}
	labels := projectLabels(project)
	for k, v := range opts.Labels {
		labels[k] = v
	}
	services, err := s.engine.ListServices(ctx, labels)
	if err != nil {
		return err
	}
	for _, svc := range services {
		if err := s.engine.RemoveService(ctx, svc.ID); err != nil && !errors.Is(err, engine.ErrNotFound) {
			return err
		}
		s.report("service", svc.Spec.Labels[engine.LabelService], stack.ActionRemoved, "")
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	if err := s.waitContainersGone(ctx, labels, timeout); err != nil {
		return err
	}
	return s.removeRest(ctx, labels, opts.Volumes)
}

// waitContainersGone waits until no task container of the project remains
// on this node: secrets and networks cannot be removed while one does.
func (s *Swarm) waitContainersGone(ctx context.Context, labels map[string]string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		list, err := s.engine.ListContainers(ctx, labels)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d task containers of the project still exist after %s, such as %s",
				len(list), timeout, list[0].Name)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

func (s *Swarm) removeRest(ctx context.Context, labels map[string]string, volumes bool) error {
	var errs []error
	remove := func(kind, name string, err error) {
		if err != nil && !errors.Is(err, engine.ErrNotFound) {
			errs = append(errs, err)
			return
		}
		s.report(kind, name, stack.ActionRemoved, "")
	}
	secrets, err := s.engine.ListSecrets(ctx, labels)
	errs = append(errs, err)
	for _, o := range secrets {
		remove("secret", o.Name, s.engine.RemoveSecret(ctx, o.ID))
	}
	configs, err := s.engine.ListConfigs(ctx, labels)
	errs = append(errs, err)
	for _, o := range configs {
		remove("config", o.Name, s.engine.RemoveConfig(ctx, o.ID))
	}
	networks, err := s.engine.ListNetworks(ctx, labels)
	errs = append(errs, err)
	for _, n := range networks {
		remove("network", n.Name, s.removeNetwork(ctx, n.ID))
	}
	if volumes {
		vols, err := s.engine.ListVolumes(ctx, labels)
		errs = append(errs, err)
		for _, v := range vols {
			remove("volume", v.Name, s.engine.RemoveVolume(ctx, v.Name))
		}
	}
	return errors.Join(errs...)
}

// removeNetwork retries for a few seconds while the engine still releases
// the endpoints of removed tasks, which it does after their containers go.
func (s *Swarm) removeNetwork(ctx context.Context, id string) error {
	var err error
	for range 40 {
		if err = s.engine.RemoveNetwork(ctx, id); err == nil || errors.Is(err, engine.ErrNotFound) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pollInterval):
		}
	}
	return err
}
