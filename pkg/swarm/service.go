package swarm

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	swarmtypes "github.com/docker/docker/api/types/swarm"

	"github.com/mlops-dev/mlops/pkg/engine"
	"github.com/mlops-dev/mlops/pkg/stack"
)

// Rolling update defaults: one task at a time, the new task started and
// healthy before the old one stops, and a rollback when a new task fails
// within the monitor period.
const (
	defaultMonitor     = 10 * time.Second
	defaultStopGrace   = 10 * time.Second
	noNewPrivilegesAPI = "1.46"
)

// service maps one compose service onto a swarm service spec.
func (p *planner) service(svc types.ServiceConfig) (Service, error) {
	where := fmt.Sprintf("service %q", svc.Name)
	if err := checkService(where, svc); err != nil {
		return Service{}, err
	}
	if svc.Image == "" {
		return Service{}, fmt.Errorf("%s: no image set; swarm mode builds no images, so set the image key", where)
	}
	p.user = svc.User
	refs := &fileRefs{}
	env, err := p.secretEnv(where, svc, refs)
	if err != nil {
		return Service{}, err
	}
	args, err := p.redisPassword(svc, refs)
	if err != nil {
		return Service{}, err
	}
	cs := &swarmtypes.ContainerSpec{
		Image:           svc.Image,
		Labels:          mergeLabels(svc.Labels, p.labels),
		Command:         nonEmpty(svc.Entrypoint),
		Args:            args,
		Hostname:        svc.Hostname,
		Env:             env,
		Dir:             svc.WorkingDir,
		User:            svc.User,
		ReadOnly:        svc.ReadOnly,
		CapabilityAdd:   svc.CapAdd,
		CapabilityDrop:  svc.CapDrop,
		Healthcheck:     engine.HealthConfig(stack.HealthSpec(svc.HealthCheck)),
		StopGracePeriod: durationPtr(defaultStopGrace),
	}
	if svc.StopGracePeriod != nil {
		cs.StopGracePeriod = durationPtr(time.Duration(*svc.StopGracePeriod))
	}
	cs.Labels[engine.LabelService] = svc.Name
	if rev, ok := p.opts.Revisions[svc.Name]; ok {
		cs.Labels[LabelRevision] = rev
	}
	if err := securityOptions(where, svc.SecurityOpt, cs); err != nil {
		return Service{}, err
	}
	if cs.Mounts, err = p.mounts(where, svc, refs); err != nil {
		return Service{}, err
	}
	if err := p.composeFiles(where, svc, refs); err != nil {
		return Service{}, err
	}
	cs.Secrets, cs.Configs = refs.secrets, refs.configs

	spec := swarmtypes.ServiceSpec{
		Annotations:  swarmtypes.Annotations{Name: ServiceName(p.project.Name, svc.Name)},
		TaskTemplate: swarmtypes.TaskSpec{ContainerSpec: cs},
	}
	if err := p.deploy(where, svc, &spec); err != nil {
		return Service{}, err
	}
	spec.Labels[engine.LabelService] = svc.Name
	spec.TaskTemplate.Networks = attachments(p.project.Name, svc)
	if spec.EndpointSpec, err = p.endpoint(where, svc); err != nil {
		return Service{}, err
	}

	hash, err := hashSpec(spec)
	if err != nil {
		return Service{}, err
	}
	spec.Labels[engine.LabelConfigHash] = hash
	deps := slices.Sorted(maps.Keys(svc.DependsOn))
	deps = slices.DeleteFunc(deps, func(d string) bool { return slices.Contains(p.opts.Skip, d) })
	return Service{Name: svc.Name, Spec: spec, Hash: hash, DependsOn: deps}, nil
}

// keyCheck is one part of a service whose keys are checked.
type keyCheck struct {
	where   string
	v       any
	allowed []string
}

func checkService(where string, svc types.ServiceConfig) error {
	checks := []keyCheck{
		{where, svc, supportedServiceKeys},
		{where + " healthcheck", svc.HealthCheck, supportedHealthKeys},
	}
	if svc.Deploy != nil {
		checks = append(checks,
			keyCheck{where + " deploy", svc.Deploy, supportedDeployKeys},
			keyCheck{where + " deploy.resources.limits", svc.Deploy.Resources.Limits, supportedResourceKeys},
			keyCheck{where + " deploy.resources.reservations", svc.Deploy.Resources.Reservations,
				supportedResourceKeys},
		)
	}
	for _, port := range svc.Ports {
		checks = append(checks, keyCheck{where + " ports", port, supportedPortKeys})
	}
	for _, m := range svc.Volumes {
		checks = append(checks, keyCheck{where + " volumes", m, supportedMountKeys})
	}
	for name, n := range svc.Networks {
		checks = append(checks, keyCheck{fmt.Sprintf("%s network %q", where, name), n, supportedAttachKeys})
	}
	for _, c := range checks {
		if err := unsupported(c.where, c.v, c.allowed); err != nil {
			return err
		}
	}
	return nil
}

func nonEmpty(cmd types.ShellCommand) []string {
	if len(cmd) == 0 {
		return nil
	}
	return []string(cmd)
}

func durationPtr(d time.Duration) *time.Duration { return &d }

// securityOptions applies no-new-privileges, the one security_opt entry
// that swarm services support.
func securityOptions(where string, opts []string, cs *swarmtypes.ContainerSpec) error {
	for _, o := range opts {
		switch o {
		case "no-new-privileges", "no-new-privileges:true", "no-new-privileges=true":
			cs.Privileges = &swarmtypes.Privileges{NoNewPrivileges: true}
		case "no-new-privileges:false", "no-new-privileges=false":
		default:
			return fmt.Errorf("%s security_opt: %q is not supported in swarm mode; "+
				"only no-new-privileges is", where, o)
		}
	}
	return nil
}

// attachments joins the service to its overlay networks under its compose
// name and aliases, so other services reach its virtual IP by that name
// as under Docker Compose.
func attachments(project string, svc types.ServiceConfig) []swarmtypes.NetworkAttachmentConfig {
	var out []swarmtypes.NetworkAttachmentConfig
	for _, key := range slices.Sorted(maps.Keys(svc.Networks)) {
		aliases := []string{svc.Name}
		if n := svc.Networks[key]; n != nil {
			for _, a := range n.Aliases {
				if !slices.Contains(aliases, a) {
					aliases = append(aliases, a)
				}
			}
		}
		out = append(out, swarmtypes.NetworkAttachmentConfig{Target: objectName(project, key), Aliases: aliases})
	}
	return out
}
