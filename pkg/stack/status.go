package stack

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/mlops-dev/mlops/pkg/engine"
)

// StateNotCreated is the state of a planned service that has no container.
const StateNotCreated = "not created"

// ServiceStatus is one row of Status.
type ServiceStatus struct {
	Service   string `json:"service"`
	Container string `json:"container"`
	// State is the engine's word (running, exited, created, restarting,
	// paused, dead) or StateNotCreated.
	State string `json:"state"`
	// Health is healthy, unhealthy, starting, or empty without a health check.
	Health string   `json:"health"`
	Ports  []string `json:"ports"`
	Image  string   `json:"image"`
}

// Status returns one row per container of the project, sorted by service,
// plus a StateNotCreated row for each service of plan without a container.
// plan may be nil.
func (s *Stack) Status(ctx context.Context, project string, plan *Plan) ([]ServiceStatus, error) {
	containers, err := s.engine.ListContainers(ctx, projectLabels(project))
	if err != nil {
		return nil, err
	}
	var rows []ServiceStatus
	seen := map[string]bool{}
	for _, c := range containers {
		row := ServiceStatus{
			Service:   c.Labels[engine.LabelService],
			Container: c.Name,
			State:     c.State,
			Ports:     formatPorts(c.Ports),
			Image:     c.Image,
		}
		st, err := s.engine.InspectContainer(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		row.Health = st.Health
		_, fresh := lastResult(st)
		switch {
		case !st.Running:
			// The engine keeps the last status of a stopped container.
			row.Health = engine.HealthNone
		case !fresh && st.Health != engine.HealthNone:
			// A result from before the current start is stale.
			row.Health = engine.HealthStarting
		}
		seen[row.Service] = true
		rows = append(rows, row)
	}
	if plan != nil {
		for _, svc := range plan.Services {
			if !seen[svc.Name] {
				rows = append(rows, ServiceStatus{Service: svc.Name, State: StateNotCreated, Image: svc.Spec.Image})
			}
		}
	}
	slices.SortFunc(rows, func(a, b ServiceStatus) int {
		return strings.Compare(a.Service+"\x00"+a.Container, b.Service+"\x00"+b.Container)
	})
	return rows, nil
}

func formatPorts(ports []engine.PortBinding) []string {
	out := []string{}
	for _, p := range ports {
		host := p.HostIP
		if host == "" {
			host = "0.0.0.0"
		}
		out = append(out, fmt.Sprintf("%s:%s->%d/%s", host, p.HostPort, p.ContainerPort, p.Protocol))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
