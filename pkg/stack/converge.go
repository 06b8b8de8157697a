package stack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mlops-dev/mlops/pkg/engine"
)

// serviceRun tracks one service while Up runs them all concurrently.
type serviceRun struct {
	started chan struct{} // closed once the container runs
	ready   chan struct{} // closed once it runs and, with a health check, is healthy
	failed  chan struct{} // closed when the service cannot come up
}

// upRun is the state that the service goroutines of one Up share.
type upRun struct {
	existing []engine.Container
	imageIDs map[string]string
	deadline time.Time
	opts     UpOptions
	services map[string]*serviceRun
}

// startServices converges every service in its own goroutine. Each waits
// for its depends_on services to be started or healthy, as the condition
// requires, so independent services come up in parallel.
func (s *Stack) startServices(ctx context.Context, plan *Plan, run *upRun) error {
	run.deadline = time.Now().Add(run.opts.WaitTimeout)
	run.services = map[string]*serviceRun{}
	for _, svc := range plan.Services {
		run.services[svc.Name] = &serviceRun{
			started: make(chan struct{}),
			ready:   make(chan struct{}),
			failed:  make(chan struct{}),
		}
	}

	errs := make([]error, len(plan.Services))
	var wg sync.WaitGroup
	for i, svc := range plan.Services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.upService(ctx, run, svc)
			if errs[i] != nil {
				close(run.services[svc.Name].failed)
			}
		}()
	}
	wg.Wait()

	if ctx.Err() != nil {
		return fmt.Errorf("up interrupted: %w; run up again to finish", ctx.Err())
	}
	var real []error
	for _, err := range errs {
		if err != nil && !errors.Is(err, errDependencyFailed) {
			real = append(real, err)
		}
	}
	return errors.Join(real...)
}

func (s *Stack) upService(ctx context.Context, run *upRun, svc Service) error {
	for _, dep := range svc.DependsOn {
		wait := run.services[dep.Service].started
		if dep.Healthy {
			wait = run.services[dep.Service].ready
		}
		select {
		case <-wait:
		case <-run.services[dep.Service].failed:
			s.report("service", svc.Name, ActionFailed, "not started because "+dep.Service+" failed")
			return fmt.Errorf("service %s: %w", svc.Name, errDependencyFailed)
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	id, err := s.convergeContainer(ctx, run, svc)
	if err != nil {
		s.report("service", svc.Name, ActionFailed, err.Error())
		return err
	}
	close(run.services[svc.Name].started)

	if err := s.waitReady(ctx, svc, id, run.deadline); err != nil {
		s.report("service", svc.Name, ActionFailed, firstLine(err.Error()))
		return err
	}
	close(run.services[svc.Name].ready)
	return nil
}

// convergeContainer makes the service's container match its spec and run,
// and returns the container ID.
func (s *Stack) convergeContainer(ctx context.Context, run *upRun, svc Service) (string, error) {
	imageID := run.imageIDs[svc.Spec.Image]
	var current *engine.Container
	for _, c := range run.existing {
		if c.Labels[engine.LabelService] != svc.Name {
			continue
		}
		if c.Name == svc.Spec.Name {
			current = &c
			continue
		}
		// A second container with this service's labels is ours, left over
		// from an older naming or a manual copy, so it is removed.
		if err := s.engine.RemoveContainer(ctx, c.ID); err != nil {
			return "", fmt.Errorf("service %s: %w", svc.Name, err)
		}
	}

	if current != nil && current.Labels[engine.LabelConfigHash] == svc.Hash && current.ImageID == imageID {
		if current.State == "running" {
			s.report("service", svc.Name, ActionUnchanged, current.Name)
			return current.ID, nil
		}
		return current.ID, s.start(ctx, svc, current.ID)
	}
	if current != nil {
		s.report("service", svc.Name, ActionRecreating, "configuration or image changed")
		if current.State == "running" {
			if err := s.engine.StopContainer(ctx, current.ID, run.opts.StopTimeout); err != nil {
				return "", fmt.Errorf("service %s: %w", svc.Name, err)
			}
		}
		if err := s.engine.RemoveContainer(ctx, current.ID); err != nil {
			return "", fmt.Errorf("service %s: %w", svc.Name, err)
		}
	}

	id, err := s.engine.CreateContainer(ctx, svc.Spec)
	if errors.Is(err, engine.ErrConflict) {
		msg := fmt.Sprintf("service %s: container name %s is taken by another container; "+
			"remove it (docker rm %s) or choose another project name", svc.Name, svc.Spec.Name, svc.Spec.Name)
		return "", &messageError{msg: msg, err: ErrNotOwned}
	}
	if err != nil {
		return "", fmt.Errorf("service %s: %w", svc.Name, err)
	}
	s.report("service", svc.Name, ActionCreated, svc.Spec.Name)
	return id, s.start(ctx, svc, id)
}

func (s *Stack) start(ctx context.Context, svc Service, id string) error {
	s.report("service", svc.Name, ActionStarting, "")
	err := s.engine.StartContainer(ctx, id)
	var portErr *engine.PortInUseError
	if errors.As(err, &portErr) {
		msg := fmt.Sprintf("service %s: host port %s is already in use: "+
			"stop the program listening on it, or change the published port of %s in the compose file",
			svc.Name, portErr.Port, svc.Name)
		return &messageError{msg: msg, err: portErr}
	}
	if err != nil {
		return fmt.Errorf("service %s: %w", svc.Name, err)
	}
	s.report("service", svc.Name, ActionStarted, "")
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
