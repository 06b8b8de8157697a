package engine

import "time"

// Label keys that mark every object mlops creates.
const (
	LabelProject    = "com.mlops.project"
	LabelService    = "com.mlops.service"
	LabelConfigHash = "com.mlops.config-hash"
)

// ContainerSpec is the engine-neutral description of one container to create.
// Its JSON encoding is stable (fields in declaration order, maps sorted), so
// callers hash it to detect configuration changes.
type ContainerSpec struct {
	Name        string            `json:"name"`
	Image       string            `json:"image"`
	Entrypoint  []string          `json:"entrypoint,omitempty"`
	Cmd         []string          `json:"cmd,omitempty"`
	Env         []string          `json:"env,omitempty"`
	User        string            `json:"user,omitempty"`
	WorkingDir  string            `json:"working_dir,omitempty"`
	Hostname    string            `json:"hostname,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	ReadOnly    bool              `json:"read_only,omitempty"`
	CapAdd      []string          `json:"cap_add,omitempty"`
	CapDrop     []string          `json:"cap_drop,omitempty"`
	SecurityOpt []string          `json:"security_opt,omitempty"`
	Health      *HealthSpec       `json:"health,omitempty"`
	Restart     string            `json:"restart,omitempty"`
	// MemoryBytes is the memory limit in bytes, 0 for none.
	MemoryBytes int64 `json:"memory_bytes,omitempty"`
	// NanoCPUs is the CPU limit in billionths of a CPU, 0 for none.
	NanoCPUs int64 `json:"nano_cpus,omitempty"`
	// PidsLimit caps the number of processes, 0 for no limit.
	PidsLimit int64             `json:"pids_limit,omitempty"`
	Networks  []NetworkAttach   `json:"networks,omitempty"`
	Ports     []PortBinding     `json:"ports,omitempty"`
	Mounts    []Mount           `json:"mounts,omitempty"`
	Tmpfs     map[string]string `json:"tmpfs,omitempty"`
}

// HealthSpec is a container health check. Test uses the Docker form:
// ["CMD", args...], ["CMD-SHELL", command] or ["NONE"].
type HealthSpec struct {
	Test        []string      `json:"test"`
	Interval    time.Duration `json:"interval,omitempty"`
	Timeout     time.Duration `json:"timeout,omitempty"`
	StartPeriod time.Duration `json:"start_period,omitempty"`
	Retries     int           `json:"retries,omitempty"`
}

// NetworkAttach connects a container to a network under extra DNS aliases.
type NetworkAttach struct {
	Network string   `json:"network"`
	Aliases []string `json:"aliases,omitempty"`
}

// PortBinding publishes a container port on the host.
type PortBinding struct {
	HostIP        string `json:"host_ip,omitempty"`
	HostPort      string `json:"host_port"`
	ContainerPort uint32 `json:"container_port"`
	// Protocol is "tcp" or "udp".
	Protocol string `json:"protocol"`
}

// Mount types accepted in Mount.Type.
const (
	MountVolume = "volume"
	MountBind   = "bind"
)

// Mount is a named volume or a bind mount.
type Mount struct {
	Type     string `json:"type"`
	Source   string `json:"source"`
	Target   string `json:"target"`
	ReadOnly bool   `json:"read_only,omitempty"`
}

// Container is one container as listed by the engine.
type Container struct {
	ID      string
	Name    string
	Image   string
	ImageID string
	// State is the engine's state word: created, running, exited, paused, restarting, dead.
	State  string
	Labels map[string]string
	Ports  []PortBinding
}

// Health status words reported by the engine.
const (
	HealthNone      = ""
	HealthStarting  = "starting"
	HealthHealthy   = "healthy"
	HealthUnhealthy = "unhealthy"
)

// HealthResult is one run of a container's health check.
type HealthResult struct {
	Start    time.Time
	End      time.Time
	ExitCode int
	Output   string
}

// ContainerState is the inspected runtime state of one container.
type ContainerState struct {
	ID       string
	Name     string
	Status   string
	Running  bool
	ExitCode int
	// Error is the engine's message when the container could not start.
	Error     string
	StartedAt time.Time
	// Health is HealthNone when the container has no health check.
	Health    string
	HealthLog []HealthResult
}

// NetworkSpec describes a network to create.
type NetworkSpec struct {
	Name     string
	Internal bool
	Labels   map[string]string
}

// Network is one network as listed by the engine.
type Network struct {
	ID       string
	Name     string
	Internal bool
	Labels   map[string]string
}

// VolumeSpec describes a named volume to create.
type VolumeSpec struct {
	Name   string
	Labels map[string]string
}

// Volume is one named volume as listed by the engine.
type Volume struct {
	Name   string
	Labels map[string]string
}

// Versions are the engine and API versions seen when connecting.
type Versions struct {
	// Engine is the engine's own version, such as "20.10.24".
	Engine string
	// APIMax is the newest API version the engine serves.
	APIMax string
	// APIMin is the oldest API version the engine serves.
	APIMin string
	// Negotiated is the API version the client uses after negotiation.
	Negotiated string
	OS         string
	Arch       string
}
