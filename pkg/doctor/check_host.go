package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mlops-dev/mlops/pkg/engine"
	"github.com/mlops-dev/mlops/pkg/scaffold"
)

// hostNames returns the configured names to resolve: the stack's hosts and
// the host of api.url, without IP literals.
func hostNames(env *Env) []string {
	cfg := env.Config
	var names []string
	if env.Stack {
		for _, h := range scaffold.Hosts(cfg.Domain, cfg.HTTPSPort, cfg.Stack.Services) {
			names = append(names, h.FQDN)
		}
	}
	if u, err := url.Parse(cfg.API.URL); err == nil && net.ParseIP(u.Hostname()) == nil && u.Hostname() != "" &&
		!slices.Contains(names, u.Hostname()) {
		names = append(names, u.Hostname())
	}
	return names
}

func checkHostNames(ctx context.Context, env *Env) Result {
	names := hostNames(env)
	if len(names) == 0 {
		return skip("", "api.url uses an IP address and there is no Docker stack, so no name needs resolving")
	}
	var unresolved, elsewhere []string
	for _, name := range names {
		addrs, err := env.resolver().LookupIPAddr(ctx, name)
		if err != nil {
			unresolved = append(unresolved, name)
			continue
		}
		for _, a := range addrs {
			if !a.IP.IsLoopback() {
				elsewhere = append(elsewhere, fmt.Sprintf("%s -> %s", name, a.IP))
				break
			}
		}
	}
	switch {
	case len(unresolved) > 0:
		return fail(fmt.Sprintf("%s do not resolve", strings.Join(unresolved, ", ")),
			"add this line to /etc/hosts: 127.0.0.1 "+strings.Join(unresolved, " "))
	case len(elsewhere) > 0:
		return warn(fmt.Sprintf("%s: not loopback", strings.Join(elsewhere, ", ")),
			"fine when that address is this machine; otherwise map the names to 127.0.0.1 in /etc/hosts")
	}
	return pass("%s resolve to loopback", strings.Join(names, ", "))
}

// stackPorts returns the host ports the stack publishes.
func stackPorts(env *Env) []int {
	return []int{env.Config.HTTPSPort, env.Config.HTTPPort}
}

func checkPorts(ctx context.Context, env *Env) Result {
	if !env.Stack {
		return skip("", "no Docker stack, so no ports to reserve")
	}
	var free, held, conflicting []string
	var owners map[string]string
	var ownersErr error
	for _, port := range stackPorts(env) {
		p := strconv.Itoa(port)
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", p))
		if err == nil {
			ln.Close()
			free = append(free, p)
			continue
		}
		if owners == nil && ownersErr == nil {
			owners, ownersErr = stackPortOwners(ctx, env.Config.Project)
		}
		if name, ok := owners[p]; ok {
			held = append(held, fmt.Sprintf("%s (by %s)", p, name))
		} else {
			conflicting = append(conflicting, p)
		}
	}
	if len(conflicting) > 0 {
		detail := fmt.Sprintf("port %s in use by a program outside the stack", strings.Join(conflicting, ", "))
		if ownersErr != nil {
			detail += fmt.Sprintf(" (Docker not asked: %v)", ownersErr)
		}
		return fail(detail, fmt.Sprintf("stop that program (`ss -ltnp 'sport = :%s'` names it) or change https_port/http_port in mlops.yaml and run `mlops init --force`", conflicting[0]))
	}
	var parts []string
	if len(free) > 0 {
		parts = append(parts, "free: "+strings.Join(free, ", "))
	}
	if len(held) > 0 {
		parts = append(parts, "held by the stack: "+strings.Join(held, ", "))
	}
	return pass("%s", strings.Join(parts, "; "))
}

// stackPortOwners maps each host port published by a container of project
// to the container's name.
func stackPortOwners(ctx context.Context, project string) (map[string]string, error) {
	eng, err := engine.New(ctx)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	list, err := eng.ListContainers(ctx, map[string]string{engine.LabelProject: project})
	if err != nil {
		return nil, err
	}
	owners := map[string]string{}
	for _, c := range list {
		for _, p := range c.Ports {
			owners[p.HostPort] = c.Name
		}
	}
	return owners, nil
}

func checkDocker(ctx context.Context, env *Env) Result {
	eng, err := engine.New(ctx)
	if err != nil {
		fix := "start Docker, or set DOCKER_HOST to a running engine"
		if errors.Is(err, engine.ErrAPITooOld) {
			fix = "upgrade Docker Engine"
		}
		if !env.Stack {
			return warn(err.Error()+" (only `mlops up` needs Docker)", fix)
		}
		return fail(err.Error(), fix)
	}
	defer eng.Close()
	v := eng.Versions()
	return pass("Docker Engine %s at %s serves API %s to %s; mlops negotiated %s (needs %s or newer)",
		v.Engine, eng.Host(), v.APIMin, v.APIMax, v.Negotiated, engine.MinAPIVersion)
}
