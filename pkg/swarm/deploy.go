package swarm

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	swarmtypes "github.com/docker/docker/api/types/swarm"

	"github.com/mlops-dev/mlops/pkg/engine"
	"github.com/mlops-dev/mlops/pkg/stack"
)

// DeployOptions bounds a deploy.
type DeployOptions struct {
	// WaitTimeout bounds the wait for each service to converge: every
	// desired task running (healthy, for services with a health check)
	// and any rolling update completed. 0 means two minutes.
	WaitTimeout time.Duration
	// NoWait returns once the specs are submitted.
	NoWait bool
}

// pollInterval is how often waits poll the engine.
const pollInterval = 250 * time.Millisecond

// Deploy converges the swarm to the plan: it creates missing networks,
// secrets and configs, creates services that do not exist, updates those
// whose spec hash or replica count changed, and leaves the others alone.
// An update rolls one task at a time; when the new tasks fail, the engine
// rolls back and Deploy returns an error wrapping ErrRolledBack. Secrets
// and configs that no service of the project uses any more are removed.
func (s *Swarm) Deploy(ctx context.Context, plan *Plan, opts DeployOptions) error {
	if _, err := s.CheckManager(ctx, false); err != nil {
		return err
	}
	if err := s.ensureNetworks(ctx, plan); err != nil {
		return err
	}
	secretIDs, err := s.ensureObjects(ctx, plan.Project, "secret", plan.Secrets,
		s.engine.ListSecrets, s.engine.CreateSecret)
	if err != nil {
		return err
	}
	configIDs, err := s.ensureObjects(ctx, plan.Project, "config", plan.Configs,
		s.engine.ListConfigs, s.engine.CreateConfig)
	if err != nil {
		return err
	}
	s.warnEngine(plan)

	for _, svc := range plan.Services {
		spec := withObjectIDs(svc.Spec, secretIDs, configIDs)
		changed, err := s.apply(ctx, svc, spec)
		if err != nil {
			return err
		}
		if opts.NoWait {
			continue
		}
		if err := s.wait(ctx, svc, changed, opts.WaitTimeout); err != nil {
			return err
		}
	}
	if opts.NoWait {
		return nil
	}
	return s.pruneObjects(ctx, plan)
}

// warnEngine reports plan settings that the engine will not apply.
func (s *Swarm) warnEngine(plan *Plan) {
	api := s.engine.Versions().Negotiated
	for _, svc := range plan.Services {
		cs := svc.Spec.TaskTemplate.ContainerSpec
		if cs.Privileges != nil && cs.Privileges.NoNewPrivileges && apiBefore(api, noNewPrivilegesAPI) {
			s.report("service", svc.Name, stack.ActionWaiting, fmt.Sprintf(
				"warning: no-new-privileges is not applied: services need API %s (Docker 27), this engine serves %s",
				noNewPrivilegesAPI, api))
		}
	}
	for _, w := range plan.Warnings {
		s.report("plan", plan.Project, stack.ActionWaiting, "warning: "+w)
	}
}

func (s *Swarm) ensureNetworks(ctx context.Context, plan *Plan) error {
	for _, n := range plan.Networks {
		existing, err := s.engine.FindNetwork(ctx, n.Name)
		switch {
		case err == nil:
			if existing.Labels[engine.LabelProject] != plan.Project {
				return fmt.Errorf("%w: network %s exists without the label %s=%s; remove or rename it",
					ErrForeign, n.Name, engine.LabelProject, plan.Project)
			}
			continue
		case !errors.Is(err, engine.ErrNotFound):
			return err
		}
		if _, err := s.engine.CreateOverlayNetwork(ctx, n); err != nil {
			return err
		}
		s.report("network", n.Name, stack.ActionCreated, "")
	}
	return nil
}

// ensureObjects creates the secrets or configs that do not exist yet and
// returns the IDs of all planned ones by name. Names carry a hash of the
// data, so an existing name holds the planned data.
func (s *Swarm) ensureObjects(
	ctx context.Context,
	project, kind string,
	planned []Object,
	list func(context.Context, map[string]string) ([]engine.Object, error),
	create func(context.Context, string, []byte, map[string]string) (string, error),
) (map[string]string, error) {
	existing, err := list(ctx, projectLabels(project))
	if err != nil {
		return nil, err
	}
	ids := map[string]string{}
	for _, o := range existing {
		ids[o.Name] = o.ID
	}
	for _, o := range planned {
		if _, ok := ids[o.Name]; ok {
			continue
		}
		id, err := create(ctx, o.Name, o.Data, o.Labels)
		if errors.Is(err, engine.ErrConflict) {
			return nil, fmt.Errorf("%w: %s %s exists without the label %s=%s",
				ErrForeign, kind, o.Name, engine.LabelProject, project)
		}
		if err != nil {
			return nil, err
		}
		ids[o.Name] = id
		s.report(kind, o.Name, stack.ActionCreated, "")
	}
	return ids, nil
}

// withObjectIDs returns a copy of spec whose secret and config references
// carry the IDs the engine requires next to the names.
func withObjectIDs(spec swarmtypes.ServiceSpec, secrets, configs map[string]string) swarmtypes.ServiceSpec {
	cs := *spec.TaskTemplate.ContainerSpec
	cs.Secrets = nil
	for _, r := range spec.TaskTemplate.ContainerSpec.Secrets {
		ref := *r
		ref.SecretID = secrets[ref.SecretName]
		cs.Secrets = append(cs.Secrets, &ref)
	}
	cs.Configs = nil
	for _, r := range spec.TaskTemplate.ContainerSpec.Configs {
		ref := *r
		ref.ConfigID = configs[ref.ConfigName]
		cs.Configs = append(cs.Configs, &ref)
	}
	spec.TaskTemplate.ContainerSpec = &cs
	spec.Labels = maps.Clone(spec.Labels)
	return spec
}

// apply creates or updates one service and reports whether it changed.
func (s *Swarm) apply(ctx context.Context, svc Service, spec swarmtypes.ServiceSpec) (bool, error) {
	current, err := s.engine.InspectService(ctx, spec.Name)
	if errors.Is(err, engine.ErrNotFound) {
		_, warnings, err := s.engine.CreateService(ctx, spec)
		if err != nil {
			return false, err
		}
		s.report("service", svc.Name, stack.ActionCreated, joinWarnings(warnings))
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if current.Spec.Labels[engine.LabelProject] != spec.Labels[engine.LabelProject] {
		return false, fmt.Errorf("%w: service %s exists without the label %s=%s; remove or rename it",
			ErrForeign, spec.Name, engine.LabelProject, spec.Labels[engine.LabelProject])
	}
	sameHash := current.Spec.Labels[engine.LabelConfigHash] == svc.Hash
	if sameHash && replicas(current.Spec) == svc.Replicas() {
		s.report("service", svc.Name, stack.ActionUnchanged, "")
		return false, nil
	}
	if sameHash {
		// Only the replica count differs: keep the running spec, which may
		// hold a newer image digest the engine resolved.
		spec = current.Spec
		spec.Mode.Replicated = &swarmtypes.ReplicatedService{Replicas: ptr(svc.Replicas())}
	}
	warnings, err := s.engine.UpdateService(ctx, current.ID, current.Version, spec)
	if err != nil {
		return false, err
	}
	detail := "rolling update"
	if sameHash {
		detail = fmt.Sprintf("scaled to %d", svc.Replicas())
	}
	s.report("service", svc.Name, stack.ActionRecreating, joinWarnings(append([]string{detail}, warnings...)))
	return true, nil
}

func ptr[T any](v T) *T { return &v }

func replicas(spec swarmtypes.ServiceSpec) uint64 {
	if spec.Mode.Replicated == nil || spec.Mode.Replicated.Replicas == nil {
		return 0
	}
	return *spec.Mode.Replicated.Replicas
}

func joinWarnings(w []string) string {
	out := ""
	for i, s := range w {
		if i > 0 {
			out += "; "
		}
		out += s
	}
	return out
}

// pruneObjects removes the project's secrets and configs that no planned
// service uses. One that a task still holds (a rollback, a slow stop)
// gives ErrConflict and stays for the next deploy.
func (s *Swarm) pruneObjects(ctx context.Context, plan *Plan) error {
	keep := map[string]bool{}
	for _, o := range plan.Secrets {
		keep[o.Name] = true
	}
	for _, o := range plan.Configs {
		keep[o.Name] = true
	}
	kinds := []struct {
		kind   string
		list   func(context.Context, map[string]string) ([]engine.Object, error)
		remove func(context.Context, string) error
	}{
		{"secret", s.engine.ListSecrets, s.engine.RemoveSecret},
		{"config", s.engine.ListConfigs, s.engine.RemoveConfig},
	}
	for _, k := range kinds {
		list, err := k.list(ctx, projectLabels(plan.Project))
		if err != nil {
			return err
		}
		for _, o := range list {
			if keep[o.Name] {
				continue
			}
			err := k.remove(ctx, o.ID)
			if errors.Is(err, engine.ErrConflict) {
				continue
			}
			if err != nil {
				return err
			}
			s.report(k.kind, o.Name, stack.ActionRemoved, "no longer used")
		}
	}
	return nil
}
