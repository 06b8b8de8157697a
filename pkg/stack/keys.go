package stack

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// Keys of the compose file that mlops maps onto engine options. compose-go
// fills some of them itself while loading (name, environment, networks).
var (
	supportedServiceKeys = []string{
		"name", "image", "command", "entrypoint", "environment", "env_file", "user",
		"read_only", "cap_drop", "cap_add", "security_opt", "healthcheck", "restart",
		"mem_limit", "cpus", "pids_limit", "deploy", "networks", "ports", "volumes", "depends_on",
		"labels", "tmpfs", "working_dir", "hostname",
	}
	supportedHealthKeys   = []string{"test", "interval", "timeout", "retries", "start_period", "disable"}
	supportedDeployKeys   = []string{"resources"}
	supportedResourceKeys = []string{"limits"}
	supportedLimitKeys    = []string{"cpus", "memory", "pids"}
	supportedPortKeys     = []string{"mode", "host_ip", "target", "published", "protocol"}
	supportedMountKeys    = []string{"type", "source", "target", "read_only", "bind", "volume"}
	supportedAttachKeys   = []string{"aliases"}
	supportedDependKeys   = []string{"condition", "required", "restart"}
	supportedNetworkKeys  = []string{"name", "driver", "internal", "labels"}
	supportedVolumeKeys   = []string{"name", "driver", "labels"}
)

// SetKeys returns the YAML keys of the struct v whose fields are not zero,
// following inline (embedded) structs. Extension fields (x-...) are skipped
// because the compose specification reserves them for tools to ignore.
func SetKeys(v any) []string {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	var keys []string
	rt := rv.Type()
	for i := range rt.NumField() {
		field := rt.Field(i)
		tag, _, _ := strings.Cut(field.Tag.Get("yaml"), ",")
		if tag == "-" || strings.HasPrefix(tag, "#") || !field.IsExported() {
			continue
		}
		fv := rv.Field(i)
		if tag == "" && field.Anonymous {
			keys = append(keys, SetKeys(fv.Interface())...)
			continue
		}
		if tag != "" && !fv.IsZero() {
			keys = append(keys, tag)
		}
	}
	return keys
}

// unsupported returns an error naming the first key of v outside allowed.
func unsupported(where string, v any, allowed []string) error {
	for _, k := range SetKeys(v) {
		if !slices.Contains(allowed, k) {
			return fmt.Errorf("%s: key %q is not supported by mlops up; remove it from the compose file", where, k)
		}
	}
	return nil
}

// checkService rejects every key of svc that mlops would otherwise ignore.
func checkService(svc types.ServiceConfig) error {
	where := fmt.Sprintf("service %q", svc.Name)
	if err := unsupported(where, svc, supportedServiceKeys); err != nil {
		return err
	}
	if err := unsupported(where+" healthcheck", svc.HealthCheck, supportedHealthKeys); err != nil {
		return err
	}
	if svc.Deploy != nil {
		if err := checkDeploy(where, svc.Deploy); err != nil {
			return err
		}
	}
	for _, p := range svc.Ports {
		if err := unsupported(where+" ports", p, supportedPortKeys); err != nil {
			return err
		}
	}
	for _, m := range svc.Volumes {
		if err := checkMount(where, m); err != nil {
			return err
		}
	}
	for name, n := range svc.Networks {
		if err := unsupported(fmt.Sprintf("%s network %q", where, name), n, supportedAttachKeys); err != nil {
			return err
		}
	}
	for name, d := range svc.DependsOn {
		if err := unsupported(fmt.Sprintf("%s depends_on %q", where, name), d, supportedDependKeys); err != nil {
			return err
		}
	}
	return nil
}

func checkDeploy(where string, d *types.DeployConfig) error {
	if err := unsupported(where+" deploy", d, supportedDeployKeys); err != nil {
		return err
	}
	if err := unsupported(where+" deploy.resources", d.Resources, supportedResourceKeys); err != nil {
		return err
	}
	return unsupported(where+" deploy.resources.limits", d.Resources.Limits, supportedLimitKeys)
}

func checkMount(where string, m types.ServiceVolumeConfig) error {
	if err := unsupported(where+" volumes", m, supportedMountKeys); err != nil {
		return err
	}
	if m.Type != types.VolumeTypeVolume && m.Type != types.VolumeTypeBind {
		return fmt.Errorf("%s volumes: type %q at %s is not supported by mlops up; "+
			"use a named volume, a bind mount, or the service's tmpfs key", where, m.Type, m.Target)
	}
	if m.Bind != nil {
		// compose-go sets create_host_path on every short-form bind mount.
		if err := unsupported(where+" volumes bind", m.Bind, []string{"create_host_path"}); err != nil {
			return err
		}
	}
	if m.Volume != nil {
		if err := unsupported(where+" volumes volume", m.Volume, nil); err != nil {
			return err
		}
	}
	return nil
}
