package ratelimit

import (
	"testing"
	"time"
)

func TestDecision_Seconds(t *testing.T) {
	tests := []struct {
		name       string
		d          Decision
		retry      int
		resetAfter int
	}{
		{"allowed", Decision{Allowed: true, ResetAfter: 12 * time.Second}, 0, 12},
		{"denied just under a second", Decision{RetryAfter: 999 * time.Millisecond, ResetAfter: 59_001 * time.Millisecond}, 1, 60},
		{"denied by a microsecond", Decision{RetryAfter: time.Microsecond, ResetAfter: time.Microsecond}, 1, 1},
		{"denied 11.2 s", Decision{RetryAfter: 11200 * time.Millisecond, ResetAfter: time.Minute}, 12, 60},
		{"denied whole seconds", Decision{RetryAfter: 12 * time.Second}, 12, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.RetryAfterSeconds(); got != tt.retry {
				t.Errorf("RetryAfterSeconds() = %d, want %d", got, tt.retry)
			}
			if got := tt.d.ResetAfterSeconds(); got != tt.resetAfter {
				t.Errorf("ResetAfterSeconds() = %d, want %d", got, tt.resetAfter)
			}
		})
	}
}
