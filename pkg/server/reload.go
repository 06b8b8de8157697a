package server

import (
	"context"
	"fmt"
	"time"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/model"
)

// load reads and verifies the model Options.Ref selects now.
func (s *Server) load() (*loaded, error) {
	m, err := model.Load(s.opts.Registry, s.opts.Ref, s.opts.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", s.opts.Ref.String(), err)
	}
	return newLoaded(m)
}

// Reload loads and verifies the version Options.Ref resolves to now and
// swaps it in. Requests already admitted finish on the model they started
// with. On failure the current model keeps serving. Reload logs and counts
// every outcome itself, so callers such as a SIGHUP handler need not log
// the returned error again.
func (s *Server) Reload(ctx context.Context) error {
	_, _, err := s.reload(ctx)
	return err
}

func (s *Server) reload(ctx context.Context) (previous, current api.ModelRef, err error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()

	old := s.current.Load()
	l, err := s.load()
	if err != nil {
		s.metrics.reloads.WithLabelValues("failure").Inc()
		s.log.ErrorContext(ctx, "model reload failed; the current model keeps serving",
			keyModel, old.ref.Name, keyModelVersion, old.ref.Version, keyError, err.Error())
		return old.ref, old.ref, err
	}
	s.current.Store(l)
	s.metrics.setModel(l)
	s.metrics.reloads.WithLabelValues("success").Inc()
	s.log.InfoContext(ctx, "model reloaded",
		keyModel, l.ref.Name, keyModelVersion, l.ref.Version, "previous_version", old.ref.Version,
		"digest", l.ref.Digest)
	return old.ref, l.ref, nil
}

// watch polls the registry every WatchInterval and reloads when the
// reference resolves to a version other than the one serving. The watcher
// does not retry a version that failed to load, because registry versions
// are immutable and it would fail again on every tick. A newer version or
// POST /admin/reload tries again.
func (s *Server) watch(ctx context.Context) {
	if s.opts.WatchInterval <= 0 {
		return
	}
	t := time.NewTicker(s.opts.WatchInterval)
	defer t.Stop()
	lastErr := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, version, err := s.opts.Registry.Resolve(s.opts.Ref)
		if err != nil {
			// Log a resolve failure once until it changes, not on every tick.
			if err.Error() != lastErr {
				s.log.WarnContext(ctx, "registry watch: resolve model", keyError, err.Error())
				lastErr = err.Error()
			}
			continue
		}
		lastErr = ""
		if version == s.current.Load().ref.Version || version == s.failedVersion {
			continue
		}
		if err := s.Reload(ctx); err != nil {
			s.failedVersion = version
		}
	}
}
