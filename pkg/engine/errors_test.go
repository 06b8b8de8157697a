package engine

import (
	"errors"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		want     error
		wantPort string
	}{
		{
			name:     "userland proxy bind",
			err:      errors.New(`driver failed programming external connectivity on endpoint x: Error starting userland proxy: listen tcp4 0.0.0.0:8080: bind: address already in use`),
			want:     ErrPortInUse,
			wantPort: "0.0.0.0:8080",
		},
		{
			name:     "port allocator",
			err:      errors.New(`driver failed programming external connectivity on endpoint x (abc): Bind for 0.0.0.0:9443 failed: port is already allocated`),
			want:     ErrPortInUse,
			wantPort: "0.0.0.0:9443",
		},
		{name: "not found", err: cerrdefs.ErrNotFound, want: ErrNotFound},
		{name: "conflict", err: cerrdefs.ErrConflict, want: ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := classify(tt.err)
			if !errors.Is(got, tt.want) {
				t.Fatalf("classify(%q) = %v, want it to wrap %v", tt.err, got, tt.want)
			}
			if tt.wantPort == "" {
				return
			}
			var pe *PortInUseError
			if !errors.As(got, &pe) {
				t.Fatalf("classify(%q) = %T, want *PortInUseError", tt.err, got)
			}
			if pe.Port != tt.wantPort {
				t.Errorf("Port = %q, want %q", pe.Port, tt.wantPort)
			}
		})
	}
}

func TestRestartPolicy(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		retries int
		wantErr bool
	}{
		{in: "", want: ""},
		{in: "no", want: "no"},
		{in: "unless-stopped", want: "unless-stopped"},
		{in: "on-failure:3", want: "on-failure", retries: 3},
		{in: "on-failure:x", wantErr: true},
		{in: "always:2", wantErr: true},
		{in: "sometimes", wantErr: true},
	}
	for _, tt := range tests {
		got, err := restartPolicy(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("restartPolicy(%q) = %+v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("restartPolicy(%q) error = %v", tt.in, err)
			continue
		}
		if string(got.Name) != tt.want || got.MaximumRetryCount != tt.retries {
			t.Errorf("restartPolicy(%q) = %+v, want %s with %d retries", tt.in, got, tt.want, tt.retries)
		}
	}
}
