package swarm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	swarmtypes "github.com/docker/docker/api/types/swarm"

	"github.com/mlops-dev/mlops/pkg/engine"
)

// DefaultReplicas is the replica count of the api service when neither the
// options nor the compose file's deploy.replicas set one.
const DefaultReplicas = 2

// LabelRevision is the container label that Options.Revisions sets. A new
// value changes the service spec, so the engine rolls the service.
const LabelRevision = "com.mlops.revision"

// DefaultSecretEnv lists the environment variables that become Docker
// secrets. The service then gets NAME_FILE=/run/secrets/name in place of
// NAME=value, so its value never shows in `docker service inspect`.
var DefaultSecretEnv = []string{
	"MLOPS_AUTH_SECRET",
	"MLOPS_REDIS_PASSWORD",
	"MLOPS_API_TOKEN",
	"GRAFANA_ADMIN_PASSWORD",
}

// PlanOptions adjusts how a compose project becomes a swarm plan.
type PlanOptions struct {
	// Skip names services to leave out.
	Skip []string
	// Labels are added to every service, network, secret and config;
	// tests use them to find and remove what they made.
	Labels map[string]string
	// Replicas sets the replica count per service name, overriding the
	// compose file's deploy.replicas. The api service defaults to
	// DefaultReplicas, every other service to 1.
	Replicas map[string]uint64
	// SecretEnv lists environment variables moved into Docker secrets;
	// nil means DefaultSecretEnv.
	SecretEnv []string
	// Revisions sets the LabelRevision container label per service, such
	// as the model version the api serves, so that a new revision rolls
	// the service even when its files did not change.
	Revisions map[string]string
	// PublishAllInterfaces accepts ports whose host_ip the routing mesh
	// cannot keep: swarm publishes every port on all of the node's
	// interfaces. Without it such a port is an error.
	PublishAllInterfaces bool
	// EndpointMode is the endpoint mode of services whose compose file
	// sets no deploy.endpoint_mode: EndpointVIP (the default when empty)
	// or EndpointDNSRR. See EndpointDNSRR for when to choose it.
	EndpointMode string
	// MaxFileBytes bounds each file of a read-only bind mount that is
	// shipped as a config or secret; 0 means MaxObjectBytes.
	MaxFileBytes int
}

// Endpoint modes, the values of deploy.endpoint_mode and
// PlanOptions.EndpointMode.
const (
	// EndpointVIP gives each service a virtual IP that the kernel's IPVS
	// balances over its tasks, and publishes ports through the routing
	// mesh, on every node. Both need IPVS (the ip_vs module).
	EndpointVIP = "vip"
	// EndpointDNSRR resolves a service name to the IPs of its running
	// tasks and needs no IPVS. Clients balance by resolving again and
	// picking an address (Traefik's swarm provider reads the task IPs
	// from the engine instead). Ports are then
	// published in host mode: only on nodes that run a task, and a node
	// runs at most one task per published port.
	EndpointDNSRR = "dnsrr"
)

// MaxObjectBytes is the largest secret or config the engine accepts
// (500 KiB, the limit of Docker 20.10's swarm store).
const MaxObjectBytes = 500 * 1024

// maxMountFiles bounds how many files one read-only directory mount may
// turn into configs before the plan keeps it as a bind mount.
const maxMountFiles = 256

// Plan is the desired swarm state of a project.
type Plan struct {
	Project  string
	Networks []engine.OverlayNetworkSpec
	// Secrets and Configs have content-addressed names, so a changed value
	// gets a new object and the services that use it roll.
	Secrets []Object
	Configs []Object
	// Services are in dependency order.
	Services []Service
	Skipped  []string
	// Warnings are things the plan kept but that may not work on every
	// cluster, such as a bind mount whose source must exist on each node.
	Warnings []string
}

// Object is a secret or config to create.
type Object struct {
	Name   string
	Data   []byte
	Labels map[string]string
}

// Service is one planned swarm service.
type Service struct {
	// Name is the compose service name; Spec.Name is the engine's name.
	Name string
	Spec swarmtypes.ServiceSpec
	// Hash is the SHA-256 of Spec without its replica count and hash label.
	Hash      string
	DependsOn []string
}

// Replicas returns the planned replica count, or 0 for a global service.
func (s Service) Replicas() uint64 {
	if s.Spec.Mode.Replicated == nil || s.Spec.Mode.Replicated.Replicas == nil {
		return 0
	}
	return *s.Spec.Mode.Replicated.Replicas
}

// Service returns the planned service with this compose name.
func (p *Plan) Service(name string) (Service, bool) {
	for _, s := range p.Services {
		if s.Name == name {
			return s, true
		}
	}
	return Service{}, false
}

// ServiceName returns the engine name of a project's service, the form
// `docker stack deploy` uses.
func ServiceName(project, service string) string {
	return project + "_" + service
}

// NewPlan checks a loaded compose project against the keys swarm mode
// supports and turns it into a plan.
func NewPlan(project *types.Project, opts PlanOptions) (*Plan, error) {
	for _, name := range opts.Skip {
		if _, ok := project.Services[name]; !ok {
			return nil, fmt.Errorf("cannot skip service %q: the compose file has no such service (services: %v)",
				name, slices.Sorted(maps.Keys(project.Services)))
		}
	}
	for name := range opts.Replicas {
		if _, ok := project.Services[name]; !ok {
			return nil, fmt.Errorf("replicas for service %q: the compose file has no such service", name)
		}
	}
	if _, err := resolutionMode("endpoint mode", opts.EndpointMode); err != nil {
		return nil, err
	}
	if opts.SecretEnv == nil {
		opts.SecretEnv = DefaultSecretEnv
	}
	if opts.MaxFileBytes <= 0 || opts.MaxFileBytes > MaxObjectBytes {
		opts.MaxFileBytes = MaxObjectBytes
	}
	labels := maps.Clone(opts.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[engine.LabelProject] = project.Name

	p := &planner{
		project: project, opts: opts, labels: labels,
		plan:    &Plan{Project: project.Name, Skipped: slices.Sorted(slices.Values(opts.Skip))},
		secrets: map[string]Object{}, configs: map[string]Object{},
	}
	if err := p.networks(); err != nil {
		return nil, err
	}
	if err := p.services(); err != nil {
		return nil, err
	}
	p.plan.Secrets = sortedObjects(p.secrets)
	p.plan.Configs = sortedObjects(p.configs)
	return p.plan, nil
}

// planner carries the state of one NewPlan call.
type planner struct {
	project *types.Project
	opts    PlanOptions
	labels  map[string]string
	plan    *Plan
	// secrets and configs are keyed by name, so two services that share a
	// value share one object.
	secrets map[string]Object
	configs map[string]Object
	// user is the user of the service being planned, which owns its secrets.
	user string
}

func (p *planner) warn(format string, args ...any) {
	p.plan.Warnings = append(p.plan.Warnings, fmt.Sprintf(format, args...))
}

// networks plans one overlay network per compose network. Internal
// networks are also encrypted: they carry Redis traffic and secrets'
// consumers between nodes.
func (p *planner) networks() error {
	for _, key := range slices.Sorted(maps.Keys(p.project.Networks)) {
		n := p.project.Networks[key]
		where := fmt.Sprintf("network %q", key)
		if err := unsupported(where, n, supportedNetworkKeys); err != nil {
			return err
		}
		if n.Driver != "" && n.Driver != "overlay" && n.Driver != "bridge" {
			return fmt.Errorf("%s: driver %q is not supported in swarm mode; use overlay", where, n.Driver)
		}
		encrypted := n.Internal
		if v, ok := n.DriverOpts["encrypted"]; ok {
			encrypted = v != "false"
		}
		p.plan.Networks = append(p.plan.Networks, engine.OverlayNetworkSpec{
			Name:       objectName(p.project.Name, key),
			Internal:   n.Internal,
			Attachable: n.Attachable,
			Encrypted:  encrypted,
			Labels:     mergeLabels(n.Labels, p.labels),
		})
	}
	return nil
}

func (p *planner) services() error {
	var services []Service
	for _, name := range slices.Sorted(maps.Keys(p.project.Services)) {
		if slices.Contains(p.opts.Skip, name) {
			continue
		}
		svc, err := p.service(p.project.Services[name])
		if err != nil {
			return err
		}
		services = append(services, svc)
	}
	ordered, err := orderServices(services)
	if err != nil {
		return err
	}
	p.plan.Services = ordered
	return nil
}

// objectName returns the engine name of a project's network or volume.
func objectName(project, name string) string {
	return project + "_" + name
}

// maxObjectName is the longest secret or config name the engine accepts.
const maxObjectName = 64

// contentName returns a name for a secret or config that changes with its
// data: the engine keeps both immutable. A long name keeps the end of key,
// its most specific part, to stay within maxObjectName.
func contentName(project, key string, data []byte) string {
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])[:12]
	room := maxObjectName - len(project) - len(hash) - 2
	if len(key) > room {
		key = strings.TrimLeft(key[len(key)-max(room, 0):], "-_.")
	}
	return project + "_" + key + "_" + hash
}

func mergeLabels(own, common map[string]string) map[string]string {
	out := map[string]string{}
	maps.Copy(out, own)
	maps.Copy(out, common)
	return out
}

func sortedObjects(m map[string]Object) []Object {
	out := make([]Object, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}

// hashSpec returns the hex SHA-256 of the spec's JSON form without the
// replica count and the hash label: scaling is not a configuration change.
func hashSpec(spec swarmtypes.ServiceSpec) (string, error) {
	spec.Labels = maps.Clone(spec.Labels)
	delete(spec.Labels, engine.LabelConfigHash)
	if spec.Mode.Replicated != nil {
		spec.Mode.Replicated = &swarmtypes.ReplicatedService{}
	}
	data, err := json.Marshal(spec)
	if err != nil {
		return "", fmt.Errorf("hash service spec %s: %w", spec.Name, err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// orderServices sorts services so that each comes after its dependencies,
// breaking ties by name.
func orderServices(services []Service) ([]Service, error) {
	var ordered []Service
	done := map[string]bool{}
	for len(ordered) < len(services) {
		progressed := false
		for _, s := range services {
			if done[s.Name] || !allDone(s.DependsOn, done) {
				continue
			}
			done[s.Name] = true
			ordered = append(ordered, s)
			progressed = true
		}
		if !progressed {
			var pending []string
			for _, s := range services {
				if !done[s.Name] {
					pending = append(pending, s.Name)
				}
			}
			return nil, fmt.Errorf("depends_on forms a cycle among services %v", pending)
		}
	}
	return ordered, nil
}

func allDone(names []string, done map[string]bool) bool {
	for _, n := range names {
		if !done[n] {
			return false
		}
	}
	return true
}
