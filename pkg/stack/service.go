package stack

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mlops-dev/mlops/pkg/engine"
)

// planService maps one compose service onto a container spec.
func planService(
	project *types.Project,
	svc types.ServiceConfig,
	labels map[string]string,
	skip []string,
) (Service, error) {
	if err := checkService(svc); err != nil {
		return Service{}, err
	}
	where := fmt.Sprintf("service %q", svc.Name)
	if svc.Image == "" {
		return Service{}, fmt.Errorf("%s: no image set; mlops up builds no images from the compose file, "+
			"so set the image key", where)
	}
	spec := engine.ContainerSpec{
		Name:        ContainerName(project.Name, svc.Name),
		Image:       svc.Image,
		Entrypoint:  nonEmpty(svc.Entrypoint),
		Cmd:         nonEmpty(svc.Command),
		Env:         environment(svc.Environment),
		User:        svc.User,
		WorkingDir:  svc.WorkingDir,
		Hostname:    svc.Hostname,
		Labels:      mergeLabels(svc.Labels, labels),
		ReadOnly:    svc.ReadOnly,
		CapAdd:      svc.CapAdd,
		CapDrop:     svc.CapDrop,
		SecurityOpt: svc.SecurityOpt,
		Health:      HealthSpec(svc.HealthCheck),
		Restart:     svc.Restart,
	}
	spec.Labels[engine.LabelService] = svc.Name

	var err error
	if spec.MemoryBytes, spec.NanoCPUs, err = limits(where, svc); err != nil {
		return Service{}, err
	}
	if spec.PidsLimit, err = pidsLimit(where, svc); err != nil {
		return Service{}, err
	}
	spec.Networks = attachments(project.Name, svc)
	if spec.Ports, err = ports(where, svc.Ports); err != nil {
		return Service{}, err
	}
	if spec.Mounts, err = mounts(project, where, svc.Volumes); err != nil {
		return Service{}, err
	}
	if spec.Tmpfs, err = tmpfs(where, svc.Tmpfs); err != nil {
		return Service{}, err
	}
	deps, err := dependencies(project, svc, skip)
	if err != nil {
		return Service{}, err
	}

	hash, err := hashSpec(spec)
	if err != nil {
		return Service{}, err
	}
	spec.Labels[engine.LabelConfigHash] = hash
	return Service{Name: svc.Name, Spec: spec, Hash: hash, DependsOn: deps}, nil
}

func nonEmpty(cmd types.ShellCommand) []string {
	if len(cmd) == 0 {
		return nil
	}
	return []string(cmd)
}

// environment returns VAR=value pairs sorted by name. compose-go has already
// merged env_file entries and resolved bare names; a name still without a
// value is left unset, as Docker Compose does.
func environment(env types.MappingWithEquals) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if v := env[k]; v != nil {
			out = append(out, k+"="+*v)
		}
	}
	return out
}

// HealthSpec converts a compose health check to the engine's; a disabled check
// becomes the NONE test, and nil stays nil.
func HealthSpec(h *types.HealthCheckConfig) *engine.HealthSpec {
	if h == nil {
		return nil
	}
	if h.Disable {
		return &engine.HealthSpec{Test: []string{"NONE"}}
	}
	spec := &engine.HealthSpec{Test: []string(h.Test)}
	if h.Interval != nil {
		spec.Interval = time.Duration(*h.Interval)
	}
	if h.Timeout != nil {
		spec.Timeout = time.Duration(*h.Timeout)
	}
	if h.StartPeriod != nil {
		spec.StartPeriod = time.Duration(*h.StartPeriod)
	}
	if h.Retries != nil {
		spec.Retries = int(min(*h.Retries, math.MaxInt32))
	}
	return spec
}

// limits returns the memory limit in bytes and the CPU limit in billionths
// of a CPU, from mem_limit and cpus or from deploy.resources.limits.
func limits(where string, svc types.ServiceConfig) (int64, int64, error) {
	memory, cpus := int64(svc.MemLimit), float64(svc.CPUS)
	if svc.Deploy != nil && svc.Deploy.Resources.Limits != nil {
		l := svc.Deploy.Resources.Limits
		if l.MemoryBytes != 0 {
			if memory != 0 && memory != int64(l.MemoryBytes) {
				return 0, 0, fmt.Errorf("%s: mem_limit and deploy.resources.limits.memory differ; keep one", where)
			}
			memory = int64(l.MemoryBytes)
		}
		if l.NanoCPUs != 0 {
			if cpus != 0 && float32(cpus) != float32(l.NanoCPUs) {
				return 0, 0, fmt.Errorf("%s: cpus and deploy.resources.limits.cpus differ; keep one", where)
			}
			cpus = float64(l.NanoCPUs)
		}
	}
	if memory < 0 || cpus < 0 {
		return 0, 0, fmt.Errorf("%s: negative memory or CPU limit", where)
	}
	return memory, int64(math.Round(cpus * 1e9)), nil
}

// pidsLimit returns the process limit from pids_limit or
// deploy.resources.limits.pids; -1 means no limit.
func pidsLimit(where string, svc types.ServiceConfig) (int64, error) {
	limit := svc.PidsLimit
	if svc.Deploy != nil && svc.Deploy.Resources.Limits != nil && svc.Deploy.Resources.Limits.Pids != 0 {
		pids := svc.Deploy.Resources.Limits.Pids
		if limit != 0 && limit != pids {
			return 0, fmt.Errorf("%s: pids_limit and deploy.resources.limits.pids differ; keep one", where)
		}
		limit = pids
	}
	if limit < -1 {
		return 0, fmt.Errorf("%s: invalid pids_limit %d; use a positive number, or -1 for no limit", where, limit)
	}
	return limit, nil
}

// attachments lists the service's networks by engine name. The service name
// is always an alias, so other services reach it by that name as under
// Docker Compose.
func attachments(project string, svc types.ServiceConfig) []engine.NetworkAttach {
	var out []engine.NetworkAttach
	for _, key := range slices.Sorted(maps.Keys(svc.Networks)) {
		aliases := []string{svc.Name}
		if n := svc.Networks[key]; n != nil {
			for _, a := range n.Aliases {
				if !slices.Contains(aliases, a) {
					aliases = append(aliases, a)
				}
			}
		}
		out = append(out, engine.NetworkAttach{Network: ObjectName(project, key), Aliases: aliases})
	}
	return out
}

func ports(where string, list []types.ServicePortConfig) ([]engine.PortBinding, error) {
	var out []engine.PortBinding
	for _, p := range list {
		if strings.Contains(p.Published, "-") {
			return nil, fmt.Errorf("%s ports: published port range %q is not supported by mlops up; "+
				"publish single ports", where, p.Published)
		}
		if p.Published != "" {
			n, err := strconv.Atoi(p.Published)
			if err != nil || n < 1 || n > 65535 {
				return nil, fmt.Errorf("%s ports: invalid published port %q; use 1-65535", where, p.Published)
			}
		}
		proto := p.Protocol
		if proto == "" {
			proto = "tcp"
		}
		binding := engine.PortBinding{HostIP: p.HostIP, HostPort: p.Published, ContainerPort: p.Target, Protocol: proto}
		out = append(out, binding)
	}
	return out, nil
}

func mounts(project *types.Project, where string, list []types.ServiceVolumeConfig) ([]engine.Mount, error) {
	var out []engine.Mount
	for _, v := range list {
		m := engine.Mount{Type: v.Type, Source: v.Source, Target: v.Target, ReadOnly: v.ReadOnly}
		switch v.Type {
		case types.VolumeTypeVolume:
			if v.Source == "" {
				return nil, fmt.Errorf("%s volumes: anonymous volume at %s is not supported by mlops up; "+
					"name it and declare it under the top-level volumes key", where, v.Target)
			}
			if _, ok := project.Volumes[v.Source]; !ok {
				return nil, fmt.Errorf("%s volumes: volume %q is not declared under the top-level volumes key",
					where, v.Source)
			}
			m.Source = ObjectName(project.Name, v.Source)
		case types.VolumeTypeBind:
			m.Source = v.Source
		}
		out = append(out, m)
	}
	return out, nil
}

// tmpfs turns entries like "/tmp" or "/run:size=64m,mode=1777" into the
// engine's path-to-options map.
func tmpfs(where string, list types.StringList) (map[string]string, error) {
	if len(list) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, entry := range list {
		path, opts, _ := strings.Cut(entry, ":")
		if !strings.HasPrefix(path, "/") {
			return nil, fmt.Errorf("%s tmpfs: %q is not an absolute path", where, entry)
		}
		out[path] = opts
	}
	return out, nil
}

func dependencies(project *types.Project, svc types.ServiceConfig, skip []string) ([]Dependency, error) {
	var out []Dependency
	for _, name := range slices.Sorted(maps.Keys(svc.DependsOn)) {
		d := svc.DependsOn[name]
		if slices.Contains(skip, name) {
			continue
		}
		where := fmt.Sprintf("service %q depends_on %q", svc.Name, name)
		target, ok := project.Services[name]
		if !ok {
			return nil, fmt.Errorf("%s: no such service", where)
		}
		switch d.Condition {
		case "", types.ServiceConditionStarted:
			out = append(out, Dependency{Service: name})
		case types.ServiceConditionHealthy:
			h := HealthSpec(target.HealthCheck)
			if h == nil || len(h.Test) == 0 || h.Test[0] == "NONE" {
				return nil, fmt.Errorf("%s: condition service_healthy needs a healthcheck on %q", where, name)
			}
			out = append(out, Dependency{Service: name, Healthy: true})
		default:
			return nil, fmt.Errorf("%s: condition %q is not supported by mlops up; "+
				"use service_started or service_healthy", where, d.Condition)
		}
	}
	return out, nil
}
