package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/engine"
	"github.com/mlops-dev/mlops/pkg/stack"
)

// Container ports of the stack's services, as the compose file from init
// sets them: MLOPS_SERVE_ADDR for the api and Prometheus's default port.
const (
	apiContainerPort        = "8080"
	prometheusContainerPort = "9090"
)

// frontendNetwork is the compose network whose container addresses the
// stack checks prefer. The host reaches containers on a bridge network, but
// the backend network is internal.
const frontendNetwork = "frontend"

// stackEngine connects to the engine for a check of the running stack, or
// returns the skip Result when the check does not apply.
func stackEngine(ctx context.Context, env *Env) (*engine.Client, *Result) {
	if !env.Stack {
		r := skip("", "the project has no docker-compose.yml, so there is no stack to inspect")
		return nil, &r
	}
	if env.Config.Mode == "swarm" {
		r := skip("", "the stack runs as swarm services, whose task containers this check does not inspect; "+
			"`mlops status` shows them")
		return nil, &r
	}
	eng, err := engine.New(ctx)
	if err != nil {
		r := skip("", "Docker does not respond (see the docker check)")
		return nil, &r
	}
	return eng, nil
}

func checkContainers(ctx context.Context, env *Env) Result {
	eng, skipped := stackEngine(ctx, env)
	if skipped != nil {
		return *skipped
	}
	defer eng.Close()
	project := env.Config.Project
	rows, err := stack.New(eng, nil).Status(ctx, project, nil)
	if err != nil {
		return fail(err.Error(), "check that Docker runs and that your user may use its socket")
	}
	if len(rows) == 0 {
		return warn(fmt.Sprintf("no container of project %s exists", project), "start the stack with `mlops up`")
	}

	var failing, starting, healthy []string
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.Service] = true
		switch {
		case r.State != "running":
			failing = append(failing, fmt.Sprintf("%s (%s) is %s", r.Service, r.Container, r.State))
		case r.Health == engine.HealthUnhealthy:
			failing = append(failing, fmt.Sprintf("%s (%s) is unhealthy", r.Service, r.Container))
		case r.Health == engine.HealthStarting:
			starting = append(starting, r.Service)
		case r.Health == engine.HealthHealthy:
			healthy = append(healthy, r.Service+" (healthy)")
		default:
			healthy = append(healthy, r.Service+" (running, no health check)")
		}
	}
	var missing []string
	for _, s := range env.Config.Stack.Services {
		if !seen[s] {
			missing = append(missing, s)
		}
	}

	switch {
	case len(failing) > 0:
		return fail(strings.Join(failing, "; "),
			fmt.Sprintf("read why with `mlops logs --tail 50 %s`, fix it, then run `mlops up`", firstWord(failing[0])))
	case len(missing) > 0:
		return warn(fmt.Sprintf("no container for %s, listed in stack.services", strings.Join(missing, ", ")),
			"run `mlops up`, or remove the service from stack.services if you leave it out on purpose")
	case len(starting) > 0:
		return warn(fmt.Sprintf("%s still starting: the first health check has not passed yet", strings.Join(starting, ", ")),
			"wait a few seconds and run doctor again; `mlops up` waits for health by itself")
	}
	return pass("%d containers running: %s", len(rows), strings.Join(healthy, ", "))
}

func firstWord(s string) string {
	word, _, _ := strings.Cut(s, " ")
	return word
}

// serviceURL returns the base URL of a running service's container at its
// address on the frontend network, or on another network when the
// container is not on that one. When the service has no running container
// it returns a skip Result that points at the containers check.
func serviceURL(ctx context.Context, eng *engine.Client, project, service, port string) (string, *Result) {
	labels := map[string]string{engine.LabelProject: project, engine.LabelService: service}
	list, err := eng.ListContainers(ctx, labels)
	if err != nil {
		r := fail(err.Error(), "check that Docker runs and that your user may use its socket")
		return "", &r
	}
	if len(list) == 0 {
		r := skip("", fmt.Sprintf("the %s service has no container (see the containers check)", service))
		return "", &r
	}

	c := list[0]
	if c.State != "running" {
		r := skip("", fmt.Sprintf("container %s is %s (see the containers check)", c.Name, c.State))
		return "", &r
	}

	addrs, err := eng.ContainerAddresses(ctx, c.ID)
	if err != nil {
		r := fail(err.Error(), "check that Docker runs and that your user may use its socket")
		return "", &r
	}
	ip := addrs[stack.ObjectName(project, frontendNetwork)]
	if ip == "" && len(addrs) > 0 {
		ip = addrs[slices.Sorted(maps.Keys(addrs))[0]]
	}
	if ip == "" {
		r := fail(fmt.Sprintf("container %s has no network address", c.Name),
			"recreate it with `mlops down` and `mlops up`")
		return "", &r
	}
	return "http://" + net.JoinHostPort(ip, port), nil
}

// unreachableFix is the fix for a container address that does not respond.
// NOTE: Docker Desktop (macOS, Windows) runs containers in a VM whose
// addresses the host cannot reach, so there these checks always fail.
const unreachableFix = "read the service's log with `mlops logs`; on Docker Desktop container addresses " +
	"are not reachable from the host, so run doctor on the Docker host itself"

func checkAPIContainer(ctx context.Context, env *Env) Result {
	eng, skipped := stackEngine(ctx, env)
	if skipped != nil {
		return *skipped
	}
	defer eng.Close()
	base, skipped := serviceURL(ctx, eng, env.Config.Project, "api", apiContainerPort)
	if skipped != nil {
		return *skipped
	}
	c, err := api.NewClient(base, &http.Client{})
	if err != nil {
		return fail(err.Error(), unreachableFix)
	}
	health, err := c.Health(ctx)
	if err != nil {
		return fail(fmt.Sprintf("GET %s/health on the api container: %v", base, err), unreachableFix)
	}
	return pass("the api container responds to GET %s/health with status %q", base, health.Status)
}

// promTargets is the part of Prometheus's GET /api/v1/targets response
// that the check reads.
type promTargets struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		ActiveTargets []struct {
			Labels    map[string]string `json:"labels"`
			ScrapeURL string            `json:"scrapeUrl"`
			LastError string            `json:"lastError"`
			// Health is "up", "down" or "unknown" (not scraped yet).
			Health string `json:"health"`
		} `json:"activeTargets"`
	} `json:"data"`
}

func checkPrometheusTargets(ctx context.Context, env *Env) Result {
	if env.Stack && !slices.Contains(env.Config.Stack.Services, "prometheus") {
		return skip("", "prometheus is not in stack.services")
	}
	eng, skipped := stackEngine(ctx, env)
	if skipped != nil {
		return *skipped
	}
	defer eng.Close()
	base, skipped := serviceURL(ctx, eng, env.Config.Project, "prometheus", prometheusContainerPort)
	if skipped != nil {
		return *skipped
	}
	return prometheusTargets(ctx, base)
}

// prometheusTargets requests the active scrape targets from the Prometheus
// server at base and passes when every one is up.
// NOTE: base must be Prometheus's route prefix. init sets
// --web.external-url to a host name without a path, so the prefix is "/".
func prometheusTargets(ctx context.Context, base string) Result {
	url := base + "/api/v1/targets?state=active"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fail(err.Error(), unreachableFix)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fail(fmt.Sprintf("GET %s: %v", url, err), unreachableFix)
	}
	defer resp.Body.Close()
	var body promTargets
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&body); err != nil {
		return fail(fmt.Sprintf("GET %s returned %s, not the Prometheus API's JSON: %v", url, resp.Status, err),
			"check that the prometheus service runs Prometheus on port "+prometheusContainerPort)
	}
	if resp.StatusCode != http.StatusOK || body.Status != "success" {
		return fail(fmt.Sprintf("GET %s returned %s: %s", url, resp.Status, body.Error),
			"read Prometheus's log with `mlops logs prometheus`")
	}

	targets := body.Data.ActiveTargets
	if len(targets) == 0 {
		return warn("Prometheus has no active scrape targets",
			"check scrape_configs in monitoring/prometheus.yml, then run `mlops restart prometheus`")
	}
	var down, unknown, up []string
	for _, t := range targets {
		name := t.Labels["job"] + " " + t.ScrapeURL
		switch t.Health {
		case "up":
			up = append(up, t.Labels["job"])
		case "down":
			down = append(down, fmt.Sprintf("%s is down: %s", name, t.LastError))
		default:
			unknown = append(unknown, name)
		}
	}
	switch {
	case len(down) > 0:
		return fail(strings.Join(down, "; "),
			"start the service behind each target that is down, or remove its job from monitoring/prometheus.yml")
	case len(unknown) > 0:
		return warn(fmt.Sprintf("%s not scraped yet", strings.Join(unknown, ", ")),
			"wait one scrape interval (scrape_interval in monitoring/prometheus.yml) and run doctor again")
	}
	return pass("Prometheus reports all %d targets up: %s", len(up), strings.Join(up, ", "))
}
