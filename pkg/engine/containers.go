package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/go-connections/nat"
)

// CreateContainer creates a container from spec and returns its ID. A name
// already in use gives an error wrapping ErrConflict, a missing image one
// wrapping ErrNotFound.
func (c *Client) CreateContainer(ctx context.Context, spec ContainerSpec) (string, error) {
	cfg, host, netCfg, err := containerConfigs(spec)
	if err != nil {
		return "", fmt.Errorf("container %s: %w", spec.Name, err)
	}
	resp, err := c.api.ContainerCreate(ctx, cfg, host, netCfg, nil, spec.Name)
	if err != nil {
		return "", fmt.Errorf("create container %s: %w", spec.Name, classify(err))
	}

	// The create call attaches only one network on API versions before 1.44,
	// so the others are connected one by one before the container starts.
	for _, n := range spec.Networks[min(1, len(spec.Networks)):] {
		endpoint := &network.EndpointSettings{Aliases: n.Aliases}
		if err := c.api.NetworkConnect(ctx, n.Network, resp.ID, endpoint); err != nil {
			// A container missing a network must not survive to be started
			// later as if complete, so it is removed, even after ctx ends.
			cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			_ = c.api.ContainerRemove(cleanup, resp.ID, container.RemoveOptions{Force: true})
			return "", fmt.Errorf("connect container %s to network %s: %w", spec.Name, n.Network, classify(err))
		}
	}
	return resp.ID, nil
}

func containerConfigs(spec ContainerSpec) (*container.Config, *container.HostConfig, *network.NetworkingConfig, error) {
	exposed, bindings, err := portConfigs(spec.Ports)
	if err != nil {
		return nil, nil, nil, err
	}
	restart, err := restartPolicy(spec.Restart)
	if err != nil {
		return nil, nil, nil, err
	}
	cfg := &container.Config{
		Image:        spec.Image,
		Entrypoint:   spec.Entrypoint,
		Cmd:          spec.Cmd,
		Env:          spec.Env,
		User:         spec.User,
		WorkingDir:   spec.WorkingDir,
		Hostname:     spec.Hostname,
		Labels:       spec.Labels,
		ExposedPorts: exposed,
		Healthcheck:  HealthConfig(spec.Health),
	}
	host := &container.HostConfig{
		ReadonlyRootfs: spec.ReadOnly,
		CapAdd:         spec.CapAdd,
		CapDrop:        spec.CapDrop,
		SecurityOpt:    spec.SecurityOpt,
		RestartPolicy:  restart,
		PortBindings:   bindings,
		Mounts:         mounts(spec.Mounts),
		Tmpfs:          spec.Tmpfs,
		Resources: container.Resources{
			Memory:   spec.MemoryBytes,
			NanoCPUs: spec.NanoCPUs,
		},
	}
	if spec.PidsLimit != 0 {
		host.Resources.PidsLimit = &spec.PidsLimit
	}
	netCfg := &network.NetworkingConfig{}
	if len(spec.Networks) > 0 {
		first := spec.Networks[0]
		host.NetworkMode = container.NetworkMode(first.Network)
		netCfg.EndpointsConfig = map[string]*network.EndpointSettings{
			first.Network: {Aliases: first.Aliases},
		}
	}
	return cfg, host, netCfg, nil
}

// HealthConfig converts h to the SDK's health check type; nil stays nil.
func HealthConfig(h *HealthSpec) *container.HealthConfig {
	if h == nil {
		return nil
	}
	return &container.HealthConfig{
		Test:        h.Test,
		Interval:    h.Interval,
		Timeout:     h.Timeout,
		StartPeriod: h.StartPeriod,
		Retries:     h.Retries,
	}
}

func restartPolicy(s string) (container.RestartPolicy, error) {
	name, count, hasCount := strings.Cut(s, ":")
	policy := container.RestartPolicy{Name: container.RestartPolicyMode(name)}
	switch policy.Name {
	case "", container.RestartPolicyDisabled, container.RestartPolicyAlways, container.RestartPolicyUnlessStopped:
		if hasCount {
			return policy, fmt.Errorf("invalid restart policy %q: only on-failure takes a retry count", s)
		}
	case container.RestartPolicyOnFailure:
		if hasCount {
			n, err := strconv.Atoi(count)
			if err != nil || n < 0 {
				return policy, fmt.Errorf("invalid restart policy %q: retry count must be a non-negative integer", s)
			}
			policy.MaximumRetryCount = n
		}
	default:
		return policy, fmt.Errorf("invalid restart policy %q: use no, always, unless-stopped or on-failure[:N]", s)
	}
	return policy, nil
}

func portConfigs(ports []PortBinding) (nat.PortSet, nat.PortMap, error) {
	if len(ports) == 0 {
		return nil, nil, nil
	}
	exposed := nat.PortSet{}
	bindings := nat.PortMap{}
	for _, p := range ports {
		proto := p.Protocol
		if proto == "" {
			proto = "tcp"
		}
		port, err := nat.NewPort(proto, strconv.FormatUint(uint64(p.ContainerPort), 10))
		if err != nil {
			return nil, nil, fmt.Errorf("invalid port %d/%s: %w", p.ContainerPort, proto, err)
		}
		exposed[port] = struct{}{}
		bindings[port] = append(bindings[port], nat.PortBinding{HostIP: p.HostIP, HostPort: p.HostPort})
	}
	return exposed, bindings, nil
}

func mounts(ms []Mount) []mount.Mount {
	var out []mount.Mount
	for _, m := range ms {
		out = append(out, mount.Mount{
			Type:     mount.Type(m.Type),
			Source:   m.Source,
			Target:   m.Target,
			ReadOnly: m.ReadOnly,
		})
	}
	return out
}

// StartContainer starts a created or stopped container. A host port that is
// taken gives a *PortInUseError.
func (c *Client) StartContainer(ctx context.Context, id string) error {
	if err := c.api.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		return fmt.Errorf("start container %s: %w", shortID(id), classify(err))
	}
	return nil
}

// StopContainer stops a container, killing it after timeout.
func (c *Client) StopContainer(ctx context.Context, id string, timeout time.Duration) error {
	seconds := int(timeout.Seconds())
	if err := c.api.ContainerStop(ctx, id, container.StopOptions{Timeout: &seconds}); err != nil {
		return fmt.Errorf("stop container %s: %w", shortID(id), classify(err))
	}
	return nil
}

// RestartContainer stops a container, killing it after timeout, and starts it again.
func (c *Client) RestartContainer(ctx context.Context, id string, timeout time.Duration) error {
	seconds := int(timeout.Seconds())
	if err := c.api.ContainerRestart(ctx, id, container.StopOptions{Timeout: &seconds}); err != nil {
		return fmt.Errorf("restart container %s: %w", shortID(id), classify(err))
	}
	return nil
}

// RemoveContainer removes a container, killing it first if it runs.
func (c *Client) RemoveContainer(ctx context.Context, id string) error {
	if err := c.api.ContainerRemove(ctx, id, container.RemoveOptions{Force: true}); err != nil {
		return fmt.Errorf("remove container %s: %w", shortID(id), classify(err))
	}
	return nil
}

// ListContainers returns all containers, running or not, that carry every
// label in labels. A label value of "" matches any value.
func (c *Client) ListContainers(ctx context.Context, labels map[string]string) ([]Container, error) {
	list, err := c.api.ContainerList(ctx, container.ListOptions{All: true, Filters: labelFilters(labels)})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", classify(err))
	}
	out := make([]Container, 0, len(list))
	for _, s := range list {
		out = append(out, containerFromSummary(s))
	}
	return out, nil
}

// FindContainer returns the container with exactly this name, with any owner
// or none, or an error wrapping ErrNotFound.
func (c *Client) FindContainer(ctx context.Context, name string) (Container, error) {
	f := filters.NewArgs(filters.Arg("name", "^/"+name+"$"))
	list, err := c.api.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return Container{}, fmt.Errorf("list containers: %w", classify(err))
	}
	if len(list) == 0 {
		return Container{}, fmt.Errorf("container %s: %w", name, ErrNotFound)
	}
	return containerFromSummary(list[0]), nil
}

func containerFromSummary(s container.Summary) Container {
	ct := Container{
		ID:      s.ID,
		Image:   s.Image,
		ImageID: s.ImageID,
		State:   string(s.State),
		Labels:  s.Labels,
	}
	if len(s.Names) > 0 {
		ct.Name = strings.TrimPrefix(s.Names[0], "/")
	}
	for _, p := range s.Ports {
		if p.PublicPort == 0 {
			continue
		}
		ct.Ports = append(ct.Ports, PortBinding{
			HostIP:        p.IP,
			HostPort:      strconv.Itoa(int(p.PublicPort)),
			ContainerPort: uint32(p.PrivatePort),
			Protocol:      p.Type,
		})
	}
	return ct
}

// InspectContainer returns a container's runtime state, including its
// health check results.
func (c *Client) InspectContainer(ctx context.Context, id string) (ContainerState, error) {
	info, err := c.api.ContainerInspect(ctx, id)
	if err != nil {
		return ContainerState{}, fmt.Errorf("inspect container %s: %w", shortID(id), classify(err))
	}
	st := ContainerState{ID: info.ID, Name: strings.TrimPrefix(info.Name, "/")}
	if info.State == nil {
		return st, nil
	}
	st.Status = string(info.State.Status)
	st.Running = info.State.Running
	st.ExitCode = info.State.ExitCode
	st.Error = info.State.Error
	st.StartedAt, _ = time.Parse(time.RFC3339Nano, info.State.StartedAt)
	if h := info.State.Health; h != nil {
		st.Health = string(h.Status)
		for _, r := range h.Log {
			if r == nil {
				continue
			}
			result := HealthResult{Start: r.Start, End: r.End, ExitCode: r.ExitCode, Output: r.Output}
			st.HealthLog = append(st.HealthLog, result)
		}
	}
	return st, nil
}

func labelFilters(labels map[string]string) filters.Args {
	f := filters.NewArgs()
	for k, v := range labels {
		if v == "" {
			f.Add("label", k)
		} else {
			f.Add("label", k+"="+v)
		}
	}
	return f
}

func shortID(id string) string {
	if len(id) > 12 && !strings.ContainsAny(id, "-_.") {
		return id[:12]
	}
	return id
}
