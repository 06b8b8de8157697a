package engine

import (
	"errors"
	"strings"
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

func TestCheckAPIVersion(t *testing.T) {
	if err := checkAPIVersion("20.10.24", "1.41"); err != nil {
		t.Errorf("checkAPIVersion(1.41) = %v, want nil", err)
	}
	err := checkAPIVersion("1.12.6", "1.24")
	if !errors.Is(err, ErrAPITooOld) {
		t.Fatalf("checkAPIVersion(1.24) = %v, want ErrAPITooOld", err)
	}
	for _, want := range []string{"1.24", MinAPIVersion, "1.12.6"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestReadStream_ErrorInsideStream(t *testing.T) {
	// A pull that fails part-way returns status 200 and sends the error as a
	// message in the stream, after progress messages.
	stream := `{"status":"Pulling from library/redis","id":"7.2"}
{"status":"Downloading","progressDetail":{"current":100,"total":1000},"id":"abc"}
{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}
`
	var got []Progress
	err := readStream(strings.NewReader(stream), func(p Progress) { got = append(got, p) })
	if err == nil || err.Error() != "manifest unknown" {
		t.Fatalf("readStream error = %v, want manifest unknown", err)
	}
	if len(got) != 2 || got[1].Current != 100 || got[1].Total != 1000 || got[1].ID != "abc" {
		t.Errorf("progress = %+v, want two messages with the download sizes", got)
	}

	err = readStream(strings.NewReader(`{"status":"Downloaded newer image"}`+"\n"), nil)
	if err != nil {
		t.Errorf("readStream of a clean stream = %v, want nil", err)
	}
	err = readStream(strings.NewReader(`{"status":`), nil)
	if err == nil {
		t.Errorf("readStream of a truncated stream = nil, want an error")
	}
}
