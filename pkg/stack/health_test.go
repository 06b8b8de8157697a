package stack

import (
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/engine"
)

func TestReadiness(t *testing.T) {
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	before := started.Add(-time.Minute)
	after := started.Add(time.Second)
	health := &engine.HealthSpec{Test: []string{"CMD", "ping"}}
	withCheck := Service{Name: "redis", Spec: engine.ContainerSpec{Health: health}}
	running := func(status string, checkedAt time.Time) engine.ContainerState {
		return engine.ContainerState{
			Running:   true,
			StartedAt: started,
			Health:    status,
			HealthLog: []engine.HealthResult{{Start: checkedAt}},
		}
	}
	noCheck := Service{Name: "web"}

	tests := []struct {
		name       string
		svc        Service
		state      engine.ContainerState
		wantDone   bool
		wantFailed bool
	}{
		{
			name:     "healthy after start",
			svc:      withCheck,
			state:    running("healthy", after),
			wantDone: true,
		},
		{
			// Results from before the current start must not count,
			// whatever status the engine reports with them.
			name:  "stale healthy before start",
			svc:   withCheck,
			state: running("healthy", before),
		},
		{
			name:  "stale unhealthy before start",
			svc:   withCheck,
			state: running("unhealthy", before),
		},
		{
			name:       "unhealthy after start",
			svc:        withCheck,
			state:      running("unhealthy", after),
			wantDone:   true,
			wantFailed: true,
		},
		{
			name:  "starting without results",
			svc:   withCheck,
			state: engine.ContainerState{Running: true, StartedAt: started, Health: "starting"},
		},
		{
			name:       "exited",
			svc:        withCheck,
			state:      engine.ContainerState{Status: "exited", ExitCode: 3, StartedAt: started},
			wantDone:   true,
			wantFailed: true,
		},
		{
			name:     "running without health check",
			svc:      noCheck,
			state:    engine.ContainerState{Running: true, Status: "running", StartedAt: started},
			wantDone: true,
		},
		{
			name:  "created not yet running",
			svc:   noCheck,
			state: engine.ContainerState{Status: "created"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done, reason := readiness(tt.svc, tt.state)
			if done != tt.wantDone {
				t.Errorf("readiness done = %t, want %t", done, tt.wantDone)
			}
			if failed := reason != ""; failed != tt.wantFailed {
				t.Errorf("readiness reason = %q, want failed=%t", reason, tt.wantFailed)
			}
		})
	}
}

func TestUnhealthyError_Message(t *testing.T) {
	err := &UnhealthyError{
		Service: "redis", Container: "p-redis-1", Reason: "is unhealthy",
		HealthOutput: "NOAUTH Authentication required.\n",
		Logs:         []string{"Ready to accept connections"},
	}
	want := "service redis (container p-redis-1) is unhealthy\n" +
		"  last health check output:\n    NOAUTH Authentication required.\n" +
		"  last log lines:\n    Ready to accept connections"
	if got := err.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
}
