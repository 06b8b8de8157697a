package stack

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mlops-dev/mlops/pkg/engine"
)

// PlanOptions adjusts how a compose project becomes a plan.
type PlanOptions struct {
	// Skip names services to leave out, for example those whose images
	// cannot be had. Dependencies on a skipped service are dropped.
	Skip []string
	// Labels are added to every container, network and volume created;
	// tests use them to find and remove what they made.
	Labels map[string]string
}

// Plan is the desired engine state of a project: every object fully
// specified and labelled, with services in dependency order.
type Plan struct {
	Project  string
	Networks []engine.NetworkSpec
	Volumes  []engine.VolumeSpec
	// Services are in start order: each one after everything it depends on.
	Services []Service
	// Skipped lists the services left out by PlanOptions.Skip.
	Skipped []string
}

// Service is one planned service and its container.
type Service struct {
	Name string
	// Spec is the container to run. Its labels include the config hash.
	Spec engine.ContainerSpec
	// Hash is the SHA-256 of Spec without the hash label.
	Hash      string
	DependsOn []Dependency
}

// Dependency is one depends_on entry.
type Dependency struct {
	Service string
	// Healthy is true for condition service_healthy, false for service_started.
	Healthy bool
}

// Healthcheck reports whether the service's container has a health check.
func (s Service) Healthcheck() bool {
	return s.Spec.Health != nil && len(s.Spec.Health.Test) > 0 && s.Spec.Health.Test[0] != "NONE"
}

// Service returns the planned service with this name.
func (p *Plan) Service(name string) (Service, bool) {
	for _, s := range p.Services {
		if s.Name == name {
			return s, true
		}
	}
	return Service{}, false
}

// ContainerName returns the name mlops gives the container of a service.
func ContainerName(project, service string) string {
	return project + "-" + service + "-1"
}

// ObjectName returns the engine name of a project's network or volume.
func ObjectName(project, name string) string {
	return project + "_" + name
}

// NewPlan checks a loaded compose project against the keys mlops supports
// and turns it into a plan. Every key it cannot apply gives an error naming
// the key and the service.
func NewPlan(project *types.Project, opts PlanOptions) (*Plan, error) {
	if err := checkSkip(project, opts.Skip); err != nil {
		return nil, err
	}
	plan := &Plan{Project: project.Name, Skipped: slices.Sorted(slices.Values(opts.Skip))}
	labels := map[string]string{}
	maps.Copy(labels, opts.Labels)
	labels[engine.LabelProject] = project.Name

	if err := plan.addNetworks(project, labels); err != nil {
		return nil, err
	}
	if err := plan.addVolumes(project, labels); err != nil {
		return nil, err
	}
	var services []Service
	for _, name := range slices.Sorted(maps.Keys(project.Services)) {
		svc := project.Services[name]
		if slices.Contains(opts.Skip, name) {
			continue
		}
		s, err := planService(project, svc, labels, opts.Skip)
		if err != nil {
			return nil, err
		}
		services = append(services, s)
	}
	ordered, err := orderServices(services)
	if err != nil {
		return nil, err
	}
	plan.Services = ordered
	return plan, nil
}

func checkSkip(project *types.Project, skip []string) error {
	for _, name := range skip {
		if _, ok := project.Services[name]; !ok {
			return fmt.Errorf("cannot skip service %q: the compose file has no such service (services: %v)",
				name, slices.Sorted(maps.Keys(project.Services)))
		}
	}
	return nil
}

func (p *Plan) addNetworks(project *types.Project, labels map[string]string) error {
	for _, key := range slices.Sorted(maps.Keys(project.Networks)) {
		n := project.Networks[key]
		where := fmt.Sprintf("network %q", key)
		if err := unsupported(where, n, supportedNetworkKeys); err != nil {
			return err
		}
		if n.Driver != "" && n.Driver != "bridge" {
			return fmt.Errorf("%s: driver %q is not supported by mlops up; use bridge", where, n.Driver)
		}
		p.Networks = append(p.Networks, engine.NetworkSpec{
			Name:     ObjectName(project.Name, key),
			Internal: n.Internal,
			Labels:   mergeLabels(n.Labels, labels),
		})
	}
	return nil
}

func (p *Plan) addVolumes(project *types.Project, labels map[string]string) error {
	for _, key := range slices.Sorted(maps.Keys(project.Volumes)) {
		v := project.Volumes[key]
		where := fmt.Sprintf("volume %q", key)
		if err := unsupported(where, v, supportedVolumeKeys); err != nil {
			return err
		}
		if v.Driver != "" && v.Driver != "local" {
			return fmt.Errorf("%s: driver %q is not supported by mlops up; use local", where, v.Driver)
		}
		p.Volumes = append(p.Volumes, engine.VolumeSpec{
			Name:   ObjectName(project.Name, key),
			Labels: mergeLabels(v.Labels, labels),
		})
	}
	return nil
}

func mergeLabels(own map[string]string, common map[string]string) map[string]string {
	out := map[string]string{}
	maps.Copy(out, own)
	maps.Copy(out, common)
	return out
}

// hashSpec returns the hex SHA-256 of the spec's JSON form without the hash
// label. encoding/json sorts map keys, so equal specs hash equally.
func hashSpec(spec engine.ContainerSpec) (string, error) {
	labels := maps.Clone(spec.Labels)
	delete(labels, engine.LabelConfigHash)
	spec.Labels = labels
	data, err := json.Marshal(spec)
	if err != nil {
		return "", fmt.Errorf("hash container spec %s: %w", spec.Name, err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// orderServices sorts services so that each comes after its dependencies,
// breaking ties by name so the order is stable.
func orderServices(services []Service) ([]Service, error) {
	byName := map[string]Service{}
	for _, s := range services {
		byName[s.Name] = s
	}
	var ordered []Service
	done := map[string]bool{}
	for len(ordered) < len(services) {
		var ready []string
		for _, s := range services {
			if !done[s.Name] && depsDone(s, done) {
				ready = append(ready, s.Name)
			}
		}
		if len(ready) == 0 {
			return nil, fmt.Errorf("depends_on forms a cycle among services %v", pending(services, done))
		}
		sort.Strings(ready)
		for _, name := range ready {
			done[name] = true
			ordered = append(ordered, byName[name])
		}
	}
	return ordered, nil
}

func depsDone(s Service, done map[string]bool) bool {
	for _, d := range s.DependsOn {
		if !done[d.Service] {
			return false
		}
	}
	return true
}

func pending(services []Service, done map[string]bool) []string {
	var names []string
	for _, s := range services {
		if !done[s.Name] {
			names = append(names, s.Name)
		}
	}
	return names
}
