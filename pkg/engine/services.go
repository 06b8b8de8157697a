package engine

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/pkg/stdcopy"
)

// Swarm services are passed as the SDK's own types: a ServiceSpec has some
// hundred fields and a copy of it here would only drift from the engine's.

// CreateService creates a swarm service and returns its ID, with any
// warnings the engine sent (such as an image it could not resolve).
func (c *Client) CreateService(ctx context.Context, spec swarm.ServiceSpec) (string, []string, error) {
	resp, err := c.api.ServiceCreate(ctx, spec, swarm.ServiceCreateOptions{})
	if err != nil {
		return "", nil, fmt.Errorf("create service %s: %w", spec.Name, classify(err))
	}
	return resp.ID, resp.Warnings, nil
}

// UpdateService replaces the spec of the service id, which must still be at
// version (the optimistic lock the engine checks), and returns warnings.
func (c *Client) UpdateService(ctx context.Context, id string, version swarm.Version, spec swarm.ServiceSpec) ([]string, error) {
	resp, err := c.api.ServiceUpdate(ctx, id, version, spec, swarm.ServiceUpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("update service %s: %w", spec.Name, classify(err))
	}
	return resp.Warnings, nil
}

// InspectService returns the service with this name or ID, or an error
// wrapping ErrNotFound.
func (c *Client) InspectService(ctx context.Context, nameOrID string) (swarm.Service, error) {
	svc, _, err := c.api.ServiceInspectWithRaw(ctx, nameOrID, swarm.ServiceInspectOptions{})
	if err != nil {
		return swarm.Service{}, fmt.Errorf("inspect service %s: %w", nameOrID, classify(err))
	}
	return svc, nil
}

// ListServices returns the services that carry every label in labels (a
// value of "" matches any value), with their running and desired task
// counts in ServiceStatus.
func (c *Client) ListServices(ctx context.Context, labels map[string]string) ([]swarm.Service, error) {
	list, err := c.api.ServiceList(ctx, swarm.ServiceListOptions{Filters: labelFilters(labels), Status: true})
	if err != nil {
		return nil, fmt.Errorf("list services: %w", classify(err))
	}
	return list, nil
}

// RemoveService removes a service and, with it, its tasks.
func (c *Client) RemoveService(ctx context.Context, id string) error {
	if err := c.api.ServiceRemove(ctx, id); err != nil {
		return fmt.Errorf("remove service %s: %w", shortID(id), classify(err))
	}
	return nil
}

// ListTasks returns the tasks of the service serviceID, current and past
// (the engine keeps a few per slot, see the swarm's task history limit).
func (c *Client) ListTasks(ctx context.Context, serviceID string) ([]swarm.Task, error) {
	f := filters.NewArgs(filters.Arg("service", serviceID))
	list, err := c.api.TaskList(ctx, swarm.TaskListOptions{Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list tasks of service %s: %w", shortID(serviceID), classify(err))
	}
	return list, nil
}

// ServiceLogs copies the output of all tasks of a service to stdout and
// stderr. The engine multiplexes both streams because services have no TTY
// in the specs mlops creates.
func (c *Client) ServiceLogs(ctx context.Context, id string, opts LogOptions, stdout, stderr io.Writer) error {
	tail := "all"
	if opts.Tail >= 0 {
		tail = strconv.Itoa(opts.Tail)
	}
	body, err := c.api.ServiceLogs(ctx, id, container.LogsOptions{
		ShowStdout: true,
		ShowStderr: true,
		Follow:     opts.Follow,
		Tail:       tail,
		Timestamps: opts.Timestamps,
		Details:    true,
	})
	if err != nil {
		return fmt.Errorf("read logs of service %s: %w", shortID(id), classify(err))
	}
	defer body.Close()
	if _, err := stdcopy.StdCopy(stdout, stderr, body); err != nil && ctx.Err() == nil {
		return fmt.Errorf("read logs of service %s: %w", shortID(id), err)
	}
	return nil
}
