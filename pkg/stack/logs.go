package stack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/mlops-dev/mlops/pkg/engine"
)

// LogsOptions adjusts Logs.
type LogsOptions struct {
	// Services whose logs to show; all of the project's when empty.
	Services []string
	// Follow streams new lines until ctx ends.
	//
	// NOTE: the engine ends a container's stream when the container stops,
	// so following does not carry on across a restart of that container.
	Follow bool
	// Tail starts from this many most recent lines per container;
	// negative means all.
	Tail int
}

// Logs writes the output of the project's containers to w, each line
// prefixed by its service name. Containers are read concurrently and lines
// are written whole, so lines of different services never mix.
func (s *Stack) Logs(ctx context.Context, project string, opts LogsOptions, w io.Writer) error {
	containers, err := s.engine.ListContainers(ctx, projectLabels(project))
	if err != nil {
		return err
	}
	var chosen []engine.Container
	width := 0
	for _, c := range containers {
		svc := c.Labels[engine.LabelService]
		if len(opts.Services) == 0 || slices.Contains(opts.Services, svc) {
			chosen = append(chosen, c)
			width = max(width, len(svc))
		}
	}
	for _, name := range opts.Services {
		found := slices.ContainsFunc(chosen, func(c engine.Container) bool {
			return c.Labels[engine.LabelService] == name
		})
		if !found {
			var running []string
			for _, c := range containers {
				if svc := c.Labels[engine.LabelService]; !slices.Contains(running, svc) {
					running = append(running, svc)
				}
			}
			slices.Sort(running)
			return fmt.Errorf("service %q has no container in project %s (services with containers: %s); "+
				"run up first, or check the name", name, project, strings.Join(running, ", "))
		}
	}

	var mu sync.Mutex
	errs := make([]error, len(chosen))
	var wg sync.WaitGroup
	for i, c := range chosen {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pw := &prefixWriter{prefix: fmt.Sprintf("%-*s | ", width, c.Labels[engine.LabelService]), out: w, mu: &mu}
			logOpts := engine.LogOptions{Follow: opts.Follow, Tail: opts.Tail}
			errs[i] = s.engine.Logs(ctx, c.ID, logOpts, pw, pw)
			pw.flush()
		}()
	}
	wg.Wait()
	if ctx.Err() != nil && opts.Follow {
		return nil
	}
	return errors.Join(errs...)
}

// prefixWriter buffers partial lines and writes each complete line, with
// its prefix, under a lock shared by all writers of one output.
type prefixWriter struct {
	prefix string
	out    io.Writer
	mu     *sync.Mutex
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		if err := p.writeLine(p.buf[:i+1]); err != nil {
			return 0, err
		}
		p.buf = p.buf[i+1:]
	}
}

func (p *prefixWriter) flush() {
	if len(p.buf) > 0 {
		_ = p.writeLine(append(p.buf, '\n'))
		p.buf = nil
	}
}

func (p *prefixWriter) writeLine(line []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := io.WriteString(p.out, p.prefix+string(line))
	return err
}
