package stack

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/mlops-dev/mlops/pkg/engine"
)

// Defaults for UpOptions and DownOptions fields left zero.
const (
	DefaultWaitTimeout = 2 * time.Minute
	DefaultStopTimeout = 10 * time.Second
)

// UpOptions adjusts Up.
type UpOptions struct {
	// WaitTimeout bounds the wait for every service to run and pass its
	// health check; DefaultWaitTimeout when zero.
	WaitTimeout time.Duration
	// StopTimeout is how long a container being replaced gets to stop
	// before it is killed; DefaultStopTimeout when zero.
	StopTimeout time.Duration
	// MissingImageHint ends the error for an image that is neither local
	// nor pullable, such as `or leave the service out with --skip redis`.
	// When empty the hint names the service under "--skip".
	MissingImageHint func(image string, services []string) string
}

// errDependencyFailed marks a service that was not started because a
// service it depends on failed; the dependency's own error explains why.
var errDependencyFailed = errors.New("dependency failed")

// Up converges the engine to plan. It first checks that no object of another
// owner has a planned name and makes every image available. Then it creates
// missing networks and volumes, and creates, recreates or starts each
// service's container in dependency order, waiting for its health check. Running
// containers whose config hash and image are unchanged are left alone, so Up
// run twice does nothing the second time, and Up after an interrupted Up
// finishes the work.
func (s *Stack) Up(ctx context.Context, plan *Plan, opts UpOptions) error {
	opts = upDefaults(opts)
	if err := s.checkOwnership(ctx, plan); err != nil {
		return err
	}
	imageIDs, err := s.ensureImages(ctx, plan, opts)
	if err != nil {
		return err
	}
	if err := s.ensureNetworks(ctx, plan); err != nil {
		return err
	}
	if err := s.ensureVolumes(ctx, plan); err != nil {
		return err
	}
	existing, err := s.engine.ListContainers(ctx, projectLabels(plan.Project))
	if err != nil {
		return err
	}
	for _, c := range existing {
		if _, planned := plan.Service(c.Labels[engine.LabelService]); !planned {
			detail := c.Name + " is not in the compose file or was skipped"
			s.report("service", c.Labels[engine.LabelService], ActionOrphaned, detail)
		}
	}
	return s.startServices(ctx, plan, &upRun{existing: existing, imageIDs: imageIDs, opts: opts})
}

func upDefaults(opts UpOptions) UpOptions {
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = DefaultWaitTimeout
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = DefaultStopTimeout
	}
	if opts.MissingImageHint == nil {
		opts.MissingImageHint = func(_ string, services []string) string {
			return "or leave the service out with --skip " + strings.Join(services, " --skip ")
		}
	}
	return opts
}

// checkOwnership rejects the plan when a container, network or volume with
// a planned name exists without this project's label. mlops never changes
// or removes such objects.
func (s *Stack) checkOwnership(ctx context.Context, plan *Plan) error {
	for _, svc := range plan.Services {
		c, err := s.engine.FindContainer(ctx, svc.Spec.Name)
		if err := foreign("container", svc.Spec.Name, plan.Project, c.Labels, err); err != nil {
			return err
		}
	}
	for _, spec := range plan.Networks {
		n, err := s.engine.FindNetwork(ctx, spec.Name)
		if err := foreign("network", spec.Name, plan.Project, n.Labels, err); err != nil {
			return err
		}
	}
	for _, spec := range plan.Volumes {
		v, err := s.engine.FindVolume(ctx, spec.Name)
		if err := foreign("volume", spec.Name, plan.Project, v.Labels, err); err != nil {
			return err
		}
	}
	return nil
}

func foreign(kind, name, project string, labels map[string]string, findErr error) error {
	if errors.Is(findErr, engine.ErrNotFound) {
		return nil
	}
	if findErr != nil {
		return findErr
	}
	owner := labels[engine.LabelProject]
	switch {
	case owner == project:
		return nil
	case owner == "":
		msg := fmt.Sprintf("%s %s already exists without an mlops project label, so mlops leaves it alone: "+
			"remove or rename it (docker %s rm %s), or choose another project name", kind, name, kind, name)
		return &messageError{msg: msg, err: ErrNotOwned}
	default:
		msg := fmt.Sprintf("%s %s belongs to mlops project %q, so mlops leaves it alone: "+
			"run down in that project, or choose another project name", kind, name, owner)
		return &messageError{msg: msg, err: ErrNotOwned}
	}
}

// ensureImages returns the local image ID of every planned image, pulling
// the missing ones. When any image cannot be had it fails before anything
// is created, with one line per image.
func (s *Stack) ensureImages(ctx context.Context, plan *Plan, opts UpOptions) (map[string]string, error) {
	users := map[string][]string{}
	for _, svc := range plan.Services {
		users[svc.Spec.Image] = append(users[svc.Spec.Image], svc.Name)
	}
	ids := map[string]string{}
	var problems []error
	for _, ref := range slices.Sorted(maps.Keys(users)) {
		id, err := s.ensureImage(ctx, ref)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			problem := fmt.Errorf("image %s for service %s is not available (%w): "+
				"load it with docker load, or build and tag it, %s",
				ref, strings.Join(users[ref], ", "), err, opts.MissingImageHint(ref, users[ref]))
			problem = &messageError{msg: problem.Error(), err: errors.Join(ErrImageUnavailable, err)}
			problems = append(problems, problem)
			continue
		}
		ids[ref] = id
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return ids, nil
}

func (s *Stack) ensureImage(ctx context.Context, ref string) (string, error) {
	img, err := s.engine.InspectImage(ctx, ref)
	if err == nil {
		return img.ID, nil
	}
	if !errors.Is(err, engine.ErrNotFound) {
		return "", err
	}

	s.report("image", ref, ActionPulling, "")
	err = s.engine.PullImage(ctx, ref, func(p engine.Progress) {
		s.report("image", ref, ActionPulling, progressDetail(p))
	})
	if err != nil {
		s.report("image", ref, ActionFailed, err.Error())
		return "", err
	}
	img, err = s.engine.InspectImage(ctx, ref)
	if err != nil {
		return "", err
	}
	s.report("image", ref, ActionPulled, "")
	return img.ID, nil
}

func progressDetail(p engine.Progress) string {
	detail := p.Status
	if p.ID != "" {
		detail = p.ID + ": " + detail
	}
	if p.Total > 0 {
		detail += fmt.Sprintf(" %.1f/%.1f MB", float64(p.Current)/1e6, float64(p.Total)/1e6)
	}
	return detail
}

func (s *Stack) ensureNetworks(ctx context.Context, plan *Plan) error {
	have, err := s.engine.ListNetworks(ctx, projectLabels(plan.Project))
	if err != nil {
		return err
	}
	for _, spec := range plan.Networks {
		i := slices.IndexFunc(have, func(n engine.Network) bool { return n.Name == spec.Name })
		if i >= 0 && have[i].Internal != spec.Internal {
			// The engine cannot change this on a network in use, and an
			// internal network that silently stays external would expose
			// services meant to be private.
			return fmt.Errorf("network %s exists with internal=%t but the compose file sets internal=%t: "+
				"run down, then up, to recreate it", spec.Name, have[i].Internal, spec.Internal)
		}
		if i >= 0 {
			continue
		}
		if _, err := s.engine.CreateNetwork(ctx, spec); err != nil {
			return err
		}
		s.report("network", spec.Name, ActionCreated, "")
	}
	return nil
}

func (s *Stack) ensureVolumes(ctx context.Context, plan *Plan) error {
	have, err := s.engine.ListVolumes(ctx, projectLabels(plan.Project))
	if err != nil {
		return err
	}
	for _, spec := range plan.Volumes {
		if slices.ContainsFunc(have, func(v engine.Volume) bool { return v.Name == spec.Name }) {
			continue
		}
		if err := s.engine.CreateVolume(ctx, spec); err != nil {
			return err
		}
		s.report("volume", spec.Name, ActionCreated, "")
	}
	return nil
}
