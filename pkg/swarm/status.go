package swarm

import (
	"context"
	"fmt"
	"slices"
	"strings"

	swarmtypes "github.com/docker/docker/api/types/swarm"

	"github.com/mlops-dev/mlops/pkg/engine"
)

// ServiceStatus is one service of the project as the swarm runs it.
type ServiceStatus struct {
	// Service is the compose service name; Name is the engine's name.
	Service string `json:"service"`
	Name    string `json:"name"`
	Image   string `json:"image"`
	// Mode is "replicated" or "global".
	Mode    string `json:"mode"`
	Desired uint64 `json:"desired"`
	Running uint64 `json:"running"`
	// Update is the state of the last rolling update, such as "completed"
	// or "rollback_completed"; empty when the service was never updated.
	Update        string   `json:"update,omitempty"`
	UpdateMessage string   `json:"update_message,omitempty"`
	Ports         []string `json:"ports,omitempty"`
}

// Status returns the project's services sorted by name, with desired and
// running task counts as the engine's service list reports them.
func (s *Swarm) Status(ctx context.Context, project string) ([]ServiceStatus, error) {
	if _, err := s.CheckManager(ctx, false); err != nil {
		return nil, err
	}
	list, err := s.engine.ListServices(ctx, projectLabels(project))
	if err != nil {
		return nil, err
	}
	out := make([]ServiceStatus, 0, len(list))
	for _, svc := range list {
		st := ServiceStatus{
			Service: svc.Spec.Labels[engine.LabelService],
			Name:    svc.Spec.Name,
			Mode:    "replicated",
		}
		if cs := svc.Spec.TaskTemplate.ContainerSpec; cs != nil {
			st.Image, _, _ = strings.Cut(cs.Image, "@")
		}
		if svc.Spec.Mode.Global != nil {
			st.Mode = "global"
		}
		if svc.ServiceStatus != nil {
			st.Desired, st.Running = svc.ServiceStatus.DesiredTasks, svc.ServiceStatus.RunningTasks
		}
		if u := svc.UpdateStatus; u != nil {
			st.Update, st.UpdateMessage = string(u.State), u.Message
		}
		for _, p := range svc.Endpoint.Ports {
			if p.PublishedPort != 0 {
				st.Ports = append(st.Ports, fmt.Sprintf("%d->%d/%s (%s)",
					p.PublishedPort, p.TargetPort, p.Protocol, p.PublishMode))
			}
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b ServiceStatus) int { return strings.Compare(a.Service, b.Service) })
	return out, nil
}

// findService returns the project's service with this compose name, or an
// error naming the services that exist.
func (s *Swarm) findService(ctx context.Context, project, service string) (swarmtypes.Service, error) {
	list, err := s.engine.ListServices(ctx, projectLabels(project))
	if err != nil {
		return swarmtypes.Service{}, err
	}
	var names []string
	for _, svc := range list {
		if svc.Spec.Labels[engine.LabelService] == service {
			return svc, nil
		}
		names = append(names, svc.Spec.Labels[engine.LabelService])
	}
	slices.Sort(names)
	return swarmtypes.Service{}, fmt.Errorf("service %q of project %s is not deployed (deployed: %v): %w",
		service, project, names, engine.ErrNotFound)
}

// Scale sets the replica count of one service and, unless opts.NoWait,
// waits until that many tasks run. A later Deploy sets the count from its
// plan again.
func (s *Swarm) Scale(ctx context.Context, project, service string, n uint64, opts DeployOptions) error {
	if _, err := s.CheckManager(ctx, false); err != nil {
		return err
	}
	svc, err := s.findService(ctx, project, service)
	if err != nil {
		return err
	}
	if svc.Spec.Mode.Replicated == nil {
		return fmt.Errorf("service %q runs in global mode, one task per node, and cannot be scaled", service)
	}
	spec := svc.Spec
	spec.Mode.Replicated = &swarmtypes.ReplicatedService{Replicas: &n}
	if _, err := s.engine.UpdateService(ctx, svc.ID, svc.Version, spec); err != nil {
		return err
	}
	if opts.NoWait {
		return nil
	}
	planned := Service{Name: service, Spec: spec}
	return s.wait(ctx, planned, true, opts.WaitTimeout)
}
