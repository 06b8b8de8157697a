package swarm

import (
	"fmt"
	"slices"

	"github.com/mlops-dev/mlops/pkg/stack"
)

// Keys of the compose file that swarm mode maps onto service specs.
// compose-go fills some of them itself while loading (name, environment,
// networks). Swarm has no per-service memory or CPU keys outside deploy, so
// mem_limit, cpus and pids_limit are read as limits, like Docker Compose.
var (
	supportedServiceKeys = []string{
		"name", "image", "command", "entrypoint", "environment", "env_file", "user",
		"read_only", "cap_drop", "cap_add", "security_opt", "healthcheck", "restart",
		"mem_limit", "cpus", "pids_limit", "deploy", "networks", "ports", "volumes", "depends_on",
		"labels", "tmpfs", "working_dir", "hostname", "secrets", "configs", "stop_grace_period",
	}
	supportedDeployKeys = []string{
		"mode", "replicas", "labels", "update_config", "rollback_config", "resources",
		"restart_policy", "placement", "endpoint_mode",
	}
	supportedResourceKeys = []string{"cpus", "memory", "pids"}
	supportedHealthKeys   = []string{"test", "interval", "timeout", "retries", "start_period", "disable"}
	supportedPortKeys     = []string{"mode", "host_ip", "target", "published", "protocol"}
	supportedMountKeys    = []string{"type", "source", "target", "read_only", "bind", "volume"}
	supportedAttachKeys   = []string{"aliases"}
	supportedNetworkKeys  = []string{"name", "driver", "driver_opts", "internal", "attachable", "labels"}
	// uid, gid and mode are not taken: secrets belong to the service user.
	supportedFileRefKeys = []string{"source", "target"}
	supportedFileObjKeys = []string{"name", "file", "environment", "content", "labels"}
)

// unsupported returns an error naming the first key of v outside allowed.
func unsupported(where string, v any, allowed []string) error {
	for _, k := range stack.SetKeys(v) {
		if !slices.Contains(allowed, k) {
			return fmt.Errorf("%s: key %q is not supported by mlops up --swarm; remove it from the compose file",
				where, k)
		}
	}
	return nil
}
