package swarm

import (
	"context"
	"fmt"
	"strings"
	"time"

	swarmtypes "github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/versions"

	"github.com/mlops-dev/mlops/pkg/stack"
)

const defaultWaitTimeout = 2 * time.Minute

// wait polls until the service converges: its rolling update completed and
// as many tasks running as desired. The engine marks a task running only
// after its health check passed, when it has one.
func (s *Swarm) wait(ctx context.Context, svc Service, changed bool, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = defaultWaitTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if changed {
		s.report("service", svc.Name, stack.ActionWaiting, "")
	}
	name := svc.Spec.Name
	for {
		done, err := s.converged(ctx, name)
		if err != nil {
			return fmt.Errorf("service %s: %w", svc.Name, err)
		}
		if done {
			if changed {
				s.report("service", svc.Name, stack.ActionHealthy, "")
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("service %s did not converge within %s: %s; see mlops logs %s",
				svc.Name, timeout, s.describe(context.WithoutCancel(ctx), name), svc.Name)
		case <-time.After(pollInterval):
		}
	}
}

// converged reports whether the service has finished updating and runs
// its desired task count, and fails when the engine rolled it back.
func (s *Swarm) converged(ctx context.Context, name string) (bool, error) {
	current, err := s.engine.InspectService(ctx, name)
	if err != nil {
		return false, err
	}
	if u := current.UpdateStatus; u != nil {
		switch u.State {
		case swarmtypes.UpdateStateUpdating, swarmtypes.UpdateStateRollbackStarted:
			return false, nil
		case swarmtypes.UpdateStateRollbackCompleted:
			return false, fmt.Errorf("%w: %s", ErrRolledBack, u.Message)
		case swarmtypes.UpdateStatePaused, swarmtypes.UpdateStateRollbackPaused:
			return false, fmt.Errorf("update paused: %s; inspect the tasks with docker service ps %s",
				u.Message, name)
		}
	}
	running, desired, err := s.countTasks(ctx, current)
	if err != nil {
		return false, err
	}
	return running == desired, nil
}

// countTasks returns how many tasks of the service's current spec run and
// how many should. Tasks of an older spec (before an update) do not count.
func (s *Swarm) countTasks(ctx context.Context, svc swarmtypes.Service) (running, desired uint64, err error) {
	tasks, err := s.engine.ListTasks(ctx, svc.ID)
	if err != nil {
		return 0, 0, err
	}
	for _, t := range tasks {
		if t.DesiredState != swarmtypes.TaskStateRunning {
			continue
		}
		if svc.Spec.Mode.Global != nil {
			desired++
		}
		if t.Status.State == swarmtypes.TaskStateRunning && sameTaskSpec(t, svc) {
			running++
		}
	}
	if svc.Spec.Mode.Replicated != nil {
		desired = replicas(svc.Spec)
	}
	return running, desired, nil
}

// sameTaskSpec reports whether the task runs the service's current image
// and container labels, the parts a rolling update changes.
func sameTaskSpec(t swarmtypes.Task, svc swarmtypes.Service) bool {
	want, got := svc.Spec.TaskTemplate.ContainerSpec, t.Spec.ContainerSpec
	if want == nil || got == nil {
		return true
	}
	return got.Image == want.Image && fmt.Sprint(got.Labels) == fmt.Sprint(want.Labels) &&
		fmt.Sprint(got.Args) == fmt.Sprint(want.Args) && fmt.Sprint(got.Env) == fmt.Sprint(want.Env)
}

// describe returns the latest error or state of each task, for messages.
func (s *Swarm) describe(ctx context.Context, name string) string {
	current, err := s.engine.InspectService(ctx, name)
	if err != nil {
		return err.Error()
	}
	tasks, err := s.engine.ListTasks(ctx, current.ID)
	if err != nil {
		return err.Error()
	}
	var parts []string
	for _, t := range tasks {
		if t.DesiredState != swarmtypes.TaskStateRunning {
			continue
		}
		msg := string(t.Status.State)
		if t.Status.Err != "" {
			msg += ": " + t.Status.Err
		}
		parts = append(parts, fmt.Sprintf("task %d %s", t.Slot, msg))
	}
	if len(parts) == 0 {
		return "no task is scheduled"
	}
	return strings.Join(parts, ", ")
}

func apiBefore(have, want string) bool {
	return have != "" && versions.LessThan(have, want)
}
