package swarm

import (
	"bytes"
	"context"
	"io"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/mlops-dev/mlops/pkg/engine"
)

// Logs writes the logs of the named services (all of the project's when
// services is empty) to w, each line prefixed by "SERVICE | ". With
// opts.Follow the services stream side by side until ctx ends.
func (s *Swarm) Logs(ctx context.Context, project string, services []string, opts engine.LogOptions, w io.Writer) error {
	if _, err := s.CheckManager(ctx, false); err != nil {
		return err
	}
	if len(services) == 0 {
		st, err := s.engine.ListServices(ctx, projectLabels(project))
		if err != nil {
			return err
		}
		for _, svc := range st {
			services = append(services, svc.Spec.Labels[engine.LabelService])
		}
		slices.Sort(services)
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	for _, name := range services {
		svc, err := s.findService(ctx, project, name)
		if err != nil {
			return err
		}
		out := &prefixWriter{mu: &mu, w: w, prefix: []byte(name + " | ")}
		read := func() error {
			defer out.flush()
			return s.engine.ServiceLogs(gctx, svc.ID, opts, out, out)
		}
		if !opts.Follow {
			if err := read(); err != nil {
				return err
			}
			continue
		}
		g.Go(read)
	}
	return g.Wait()
}

// prefixWriter writes whole lines to w, each after prefix, under mu so
// lines of concurrent services do not interleave.
type prefixWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix []byte
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		if err := p.line(p.buf[:i+1]); err != nil {
			return 0, err
		}
		p.buf = p.buf[i+1:]
	}
}

func (p *prefixWriter) line(l []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.w.Write(p.prefix); err != nil {
		return err
	}
	_, err := p.w.Write(l)
	return err
}

func (p *prefixWriter) flush() {
	if len(p.buf) > 0 {
		_ = p.line(append(p.buf, '\n'))
		p.buf = nil
	}
}
