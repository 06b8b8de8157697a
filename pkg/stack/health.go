package stack

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mlops-dev/mlops/pkg/engine"
)

// pollInterval is how often a container's state is read while waiting.
const pollInterval = 250 * time.Millisecond

// logTailLines is how many log lines an UnhealthyError carries.
const logTailLines = 20

// UnhealthyError reports a service that did not become healthy: it exited,
// failed its health check or ran out of time.
type UnhealthyError struct {
	Service   string
	Container string
	// Reason is a short phrase such as "unhealthy" or "exited with code 1".
	Reason string
	// HealthOutput is the output of the last health check run since the
	// container's current start, empty when none ran.
	HealthOutput string
	// Logs are the container's last output lines.
	Logs []string
}

// Error returns a summary line, then the last health check output and log
// lines, indented, so that printing the error shows the cause.
func (e *UnhealthyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "service %s (container %s) %s", e.Service, e.Container, e.Reason)
	if out := strings.TrimSpace(e.HealthOutput); out != "" {
		b.WriteString("\n  last health check output:")
		for _, line := range strings.Split(out, "\n") {
			b.WriteString("\n    " + line)
		}
	}
	if len(e.Logs) > 0 {
		b.WriteString("\n  last log lines:")
		for _, line := range e.Logs {
			b.WriteString("\n    " + line)
		}
	}
	return b.String()
}

// waitReady waits until the container runs and, if it has a health check,
// reports healthy. Health results from before the container's current start
// are ignored, so a status left over from an earlier run never counts.
func (s *Stack) waitReady(ctx context.Context, svc Service, id string, deadline time.Time) error {
	if svc.Healthcheck() {
		s.report("service", svc.Name, ActionWaiting, "")
	}
	for {
		st, err := s.engine.InspectContainer(ctx, id)
		if err != nil {
			return fmt.Errorf("service %s: %w", svc.Name, err)
		}
		done, reason := readiness(svc, st)
		if done && reason == "" {
			if svc.Healthcheck() {
				s.report("service", svc.Name, ActionHealthy, "")
			}
			return nil
		}
		if done {
			return s.unhealthy(svc, st, reason)
		}
		if time.Now().After(deadline) {
			return s.unhealthy(svc, st, fmt.Sprintf("not healthy within the wait timeout (health %q)", st.Health))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// readiness reports whether waiting is over and, if it ended in failure,
// why.
func readiness(svc Service, st engine.ContainerState) (bool, string) {
	if !st.Running && (st.Status == "exited" || st.Status == "dead") {
		reason := fmt.Sprintf("exited with code %d", st.ExitCode)
		if st.Error != "" {
			reason += ": " + st.Error
		}
		return true, reason
	}
	if !st.Running {
		return false, ""
	}
	if !svc.Healthcheck() {
		return true, ""
	}
	if _, ok := lastResult(st); !ok {
		return false, ""
	}
	switch st.Health {
	case engine.HealthHealthy:
		return true, ""
	case engine.HealthUnhealthy:
		return true, "is unhealthy"
	}
	return false, ""
}

// lastResult returns the newest health check result of the current start.
func lastResult(st engine.ContainerState) (engine.HealthResult, bool) {
	if len(st.HealthLog) == 0 {
		return engine.HealthResult{}, false
	}
	last := st.HealthLog[len(st.HealthLog)-1]
	if last.Start.Before(st.StartedAt) {
		return engine.HealthResult{}, false
	}
	return last, true
}

func (s *Stack) unhealthy(svc Service, st engine.ContainerState, reason string) error {
	e := &UnhealthyError{Service: svc.Name, Container: svc.Spec.Name, Reason: reason}
	if r, ok := lastResult(st); ok {
		e.HealthOutput = r.Output
	}
	// The caller's context may be the one that ran out, so the logs are
	// read under a fresh short deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var buf bytes.Buffer
	if err := s.engine.Logs(ctx, st.ID, engine.LogOptions{Tail: logTailLines}, &buf, &buf); err == nil {
		e.Logs = nonEmptyLines(buf.String())
	}
	return e
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimSpace(line) != "" {
			out = append(out, line)
		}
	}
	return out
}
