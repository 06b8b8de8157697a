package swarm

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	swarmtypes "github.com/docker/docker/api/types/swarm"
)

// deploy sets the spec's labels, mode, resources, restart policy,
// placement and update and rollback policies from the compose service.
func (p *planner) deploy(where string, svc types.ServiceConfig, spec *swarmtypes.ServiceSpec) error {
	d := svc.Deploy
	if d == nil {
		d = &types.DeployConfig{}
	}
	spec.Labels = mergeLabels(d.Labels, p.labels)
	mode, err := p.mode(where, svc.Name, d)
	if err != nil {
		return err
	}
	spec.Mode = mode

	res, err := resources(where, svc, d)
	if err != nil {
		return err
	}
	spec.TaskTemplate.Resources = res
	if spec.TaskTemplate.RestartPolicy, err = restartPolicy(where, svc.Restart, d.RestartPolicy); err != nil {
		return err
	}
	spec.TaskTemplate.Placement = &swarmtypes.Placement{
		Constraints: d.Placement.Constraints,
		MaxReplicas: d.Placement.MaxReplicas,
	}
	for _, pref := range d.Placement.Preferences {
		spec.TaskTemplate.Placement.Preferences = append(spec.TaskTemplate.Placement.Preferences,
			swarmtypes.PlacementPreference{Spread: &swarmtypes.SpreadOver{SpreadDescriptor: pref.Spread}})
	}

	// A task that writes a named volume must stop before its successor
	// starts, or two Redis servers would append to one file.
	order := swarmtypes.UpdateOrderStartFirst
	if hasVolume(svc) {
		order = swarmtypes.UpdateOrderStopFirst
	}
	if spec.UpdateConfig, err = updateConfig(where+" deploy.update_config", d.UpdateConfig,
		order, swarmtypes.UpdateFailureActionRollback); err != nil {
		return err
	}
	spec.RollbackConfig, err = updateConfig(where+" deploy.rollback_config", d.RollbackConfig,
		order, swarmtypes.UpdateFailureActionPause)
	return err
}

func (p *planner) mode(where, name string, d *types.DeployConfig) (swarmtypes.ServiceMode, error) {
	switch d.Mode {
	case "global":
		if d.Replicas != nil || p.opts.Replicas[name] != 0 {
			return swarmtypes.ServiceMode{}, fmt.Errorf("%s deploy: replicas conflict with mode global; "+
				"remove one", where)
		}
		return swarmtypes.ServiceMode{Global: &swarmtypes.GlobalService{}}, nil
	case "", "replicated":
	default:
		return swarmtypes.ServiceMode{}, fmt.Errorf("%s deploy: mode %q is not supported; "+
			"use replicated or global", where, d.Mode)
	}
	replicas := uint64(1)
	if name == "api" {
		replicas = DefaultReplicas
	}
	if d.Replicas != nil {
		if *d.Replicas < 0 {
			return swarmtypes.ServiceMode{}, fmt.Errorf("%s deploy: replicas %d is negative", where, *d.Replicas)
		}
		replicas = uint64(*d.Replicas)
	}
	if n, ok := p.opts.Replicas[name]; ok {
		replicas = n
	}
	return swarmtypes.ServiceMode{Replicated: &swarmtypes.ReplicatedService{Replicas: &replicas}}, nil
}

// resources reads limits from deploy.resources or from mem_limit, cpus and
// pids_limit, which Docker Compose also applies, rejecting two that differ.
func resources(where string, svc types.ServiceConfig, d *types.DeployConfig) (*swarmtypes.ResourceRequirements, error) {
	limit := &swarmtypes.Limit{
		NanoCPUs:    int64(math.Round(float64(svc.CPUS) * 1e9)),
		MemoryBytes: int64(svc.MemLimit),
		Pids:        svc.PidsLimit,
	}
	if l := d.Resources.Limits; l != nil {
		nano := int64(math.Round(float64(l.NanoCPUs) * 1e9))
		if err := pick(where, "cpus", &limit.NanoCPUs, nano); err != nil {
			return nil, err
		}
		if err := pick(where, "mem_limit", &limit.MemoryBytes, int64(l.MemoryBytes)); err != nil {
			return nil, err
		}
		if err := pick(where, "pids_limit", &limit.Pids, l.Pids); err != nil {
			return nil, err
		}
	}
	if limit.NanoCPUs < 0 || limit.MemoryBytes < 0 || limit.Pids < -1 {
		return nil, fmt.Errorf("%s: negative CPU, memory or process limit", where)
	}
	if limit.Pids == -1 {
		limit.Pids = 0
	}
	res := &swarmtypes.ResourceRequirements{Limits: limit}
	if r := d.Resources.Reservations; r != nil {
		res.Reservations = &swarmtypes.Resources{
			NanoCPUs:    int64(math.Round(float64(r.NanoCPUs) * 1e9)),
			MemoryBytes: int64(r.MemoryBytes),
		}
	}
	return res, nil
}

// pick sets *dst to v when v is set, rejecting a different value already
// set by the service-level key.
func pick(where, key string, dst *int64, v int64) error {
	if v == 0 {
		return nil
	}
	if *dst != 0 && *dst != v {
		return fmt.Errorf("%s: %s and deploy.resources.limits differ; keep one", where, key)
	}
	*dst = v
	return nil
}

// restartPolicy maps deploy.restart_policy, or else the service's restart
// key, onto the swarm policy. Swarm restarts a task that ended; "no" maps
// to condition none.
func restartPolicy(where, restart string, rp *types.RestartPolicy) (*swarmtypes.RestartPolicy, error) {
	out := &swarmtypes.RestartPolicy{Condition: swarmtypes.RestartPolicyConditionAny}
	switch restart {
	case "", "always", "unless-stopped":
	case "no":
		out.Condition = swarmtypes.RestartPolicyConditionNone
	case "on-failure":
		out.Condition = swarmtypes.RestartPolicyConditionOnFailure
	default:
		return nil, fmt.Errorf("%s restart: %q is not supported in swarm mode; "+
			"use always, unless-stopped, on-failure or no", where, restart)
	}
	if rp == nil {
		return out, nil
	}
	switch c := swarmtypes.RestartPolicyCondition(rp.Condition); c {
	case "":
	case swarmtypes.RestartPolicyConditionAny, swarmtypes.RestartPolicyConditionNone,
		swarmtypes.RestartPolicyConditionOnFailure:
		out.Condition = c
	default:
		return nil, fmt.Errorf("%s deploy.restart_policy: condition %q is not supported; "+
			"use any, on-failure or none", where, rp.Condition)
	}
	if rp.Delay != nil {
		out.Delay = durationPtr(time.Duration(*rp.Delay))
	}
	if rp.Window != nil {
		out.Window = durationPtr(time.Duration(*rp.Window))
	}
	out.MaxAttempts = rp.MaxAttempts
	return out, nil
}

// updateConfig starts from the rolling defaults and applies the compose
// file's update_config or rollback_config over them.
func updateConfig(where string, c *types.UpdateConfig, order, failure string) (*swarmtypes.UpdateConfig, error) {
	out := &swarmtypes.UpdateConfig{
		Parallelism:   1,
		FailureAction: failure,
		Monitor:       defaultMonitor,
		Order:         order,
	}
	if c == nil {
		return out, nil
	}
	if c.Parallelism != nil {
		out.Parallelism = *c.Parallelism
	}
	out.Delay = time.Duration(c.Delay)
	if c.Monitor != 0 {
		out.Monitor = time.Duration(c.Monitor)
	}
	out.MaxFailureRatio = c.MaxFailureRatio
	switch c.FailureAction {
	case "":
	case swarmtypes.UpdateFailureActionRollback, swarmtypes.UpdateFailureActionPause,
		swarmtypes.UpdateFailureActionContinue:
		out.FailureAction = c.FailureAction
	default:
		return nil, fmt.Errorf("%s: failure_action %q is not supported; use rollback, pause or continue",
			where, c.FailureAction)
	}
	switch c.Order {
	case "":
	case swarmtypes.UpdateOrderStartFirst, swarmtypes.UpdateOrderStopFirst:
		out.Order = c.Order
	default:
		return nil, fmt.Errorf("%s: order %q is not supported; use start-first or stop-first", where, c.Order)
	}
	return out, nil
}

func hasVolume(svc types.ServiceConfig) bool {
	for _, v := range svc.Volumes {
		if v.Type == types.VolumeTypeVolume {
			return true
		}
	}
	return false
}

// endpoint chooses how other services find this one and how its ports are
// published. The compose file's deploy.endpoint_mode wins over
// PlanOptions.EndpointMode. In dnsrr mode ports cannot go through the
// routing mesh, so they are published in host mode, with a warning.
func (p *planner) endpoint(where string, svc types.ServiceConfig) (*swarmtypes.EndpointSpec, error) {
	name := p.opts.EndpointMode
	if svc.Deploy != nil && svc.Deploy.EndpointMode != "" {
		name = svc.Deploy.EndpointMode
	}
	mode, err := resolutionMode(where+" deploy", name)
	if err != nil {
		return nil, err
	}
	spec := &swarmtypes.EndpointSpec{Mode: mode}
	for _, port := range svc.Ports {
		pc, err := p.port(where, port)
		if err != nil {
			return nil, err
		}
		if mode == swarmtypes.ResolutionModeDNSRR && pc.PublishMode == swarmtypes.PortConfigPublishModeIngress {
			pc.PublishMode = swarmtypes.PortConfigPublishModeHost
			p.warn("%s: port %d is published in host mode, because endpoint mode dnsrr has no routing "+
				"mesh: only nodes that run a task publish it, and each node runs at most one such task",
				where, pc.PublishedPort)
		}
		spec.Ports = append(spec.Ports, pc)
	}
	return spec, nil
}

// resolutionMode maps an endpoint_mode value onto the engine's mode; ""
// means vip, the engine's default.
func resolutionMode(where, name string) (swarmtypes.ResolutionMode, error) {
	switch name {
	case "", EndpointVIP:
		return swarmtypes.ResolutionModeVIP, nil
	case EndpointDNSRR:
		return swarmtypes.ResolutionModeDNSRR, nil
	}
	return "", fmt.Errorf("%s: endpoint_mode %q is not supported; use %s or %s",
		where, name, EndpointVIP, EndpointDNSRR)
}

func (p *planner) port(where string, port types.ServicePortConfig) (swarmtypes.PortConfig, error) {
	if port.HostIP != "" && port.HostIP != "0.0.0.0" && !p.opts.PublishAllInterfaces {
		return swarmtypes.PortConfig{}, fmt.Errorf("%s ports: host_ip %s cannot be kept: swarm publishes "+
			"port %s on every interface of every node; remove host_ip, or accept it with "+
			"--publish-all-interfaces and a firewall", where, port.HostIP, port.Published)
	}
	pc := swarmtypes.PortConfig{
		Protocol:    swarmtypes.PortConfigProtocol(port.Protocol),
		TargetPort:  port.Target,
		PublishMode: swarmtypes.PortConfigPublishModeIngress,
	}
	if pc.Protocol == "" {
		pc.Protocol = swarmtypes.PortConfigProtocolTCP
	}
	switch port.Mode {
	case "", "ingress":
	case "host":
		pc.PublishMode = swarmtypes.PortConfigPublishModeHost
	default:
		return pc, fmt.Errorf("%s ports: mode %q is not supported; use ingress or host", where, port.Mode)
	}
	if port.Published != "" {
		n, err := strconv.ParseUint(port.Published, 10, 16)
		if err != nil || n == 0 {
			return pc, fmt.Errorf("%s ports: invalid published port %q; use one port in 1-65535",
				where, port.Published)
		}
		pc.PublishedPort = uint32(n)
	}
	return pc, nil
}
