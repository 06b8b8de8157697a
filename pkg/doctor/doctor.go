// Package doctor runs the health checks of an mlops project: configuration,
// secrets, keys, models, the running API, Redis, TLS, host names, ports,
// the Docker engine and the running stack's containers. Each check is a
// small function returning one Result with what it found and, for a
// warning or failure, a one-line fix.
//
// Checks run in parallel, each under its own timeout. The package prints
// nothing itself except through Render, and never shows a secret.
package doctor

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mlops-dev/mlops/pkg/config"
	"github.com/mlops-dev/mlops/pkg/stack"
)

// Status is the outcome of one check.
type Status string

// Outcomes of a check. Only StatusFail makes Failed true.
const (
	StatusPass Status = "pass"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
	StatusSkip Status = "skip"
)

// DefaultTimeout bounds one check when Run gets no timeout.
const DefaultTimeout = 5 * time.Second

// Result is the outcome of one check: what was found, and for a warning or
// failure the one thing to do about it. A skipped check gives the reason in
// Detail.
type Result struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Check is one named check.
type Check struct {
	Name string
	Run  func(ctx context.Context, env *Env) Result
}

// Env is the project state the checks inspect. Create it with NewEnv.
type Env struct {
	// Config is the merged configuration; nil when ConfigErr is set.
	Config    *config.Config
	ConfigErr error
	// Stack reports whether the project runs the Docker stack, which adds
	// the checks of its ports, host names and HTTP redirect.
	Stack bool
	// Resolver looks up host names; nil means net.DefaultResolver.
	Resolver *net.Resolver
	// Now is the current time; nil means time.Now.
	Now func() time.Time

	apiOnce sync.Once
	apiErr  error
	tlsOnce sync.Once
	tls     tlsProbe
}

// NewEnv returns the environment for cfg, or for a configuration that did
// not load. The stack checks apply when the project folder has a
// docker-compose.yml.
func NewEnv(cfg *config.Config, cfgErr error) *Env {
	env := &Env{Config: cfg, ConfigErr: cfgErr}
	if cfg != nil {
		_, err := os.Stat(filepath.Join(cfg.Dir, stack.DefaultComposeFile))
		env.Stack = err == nil
	}
	return env
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Env) resolver() *net.Resolver {
	if e.Resolver != nil {
		return e.Resolver
	}
	return net.DefaultResolver
}

// Checks returns every check in the order Render prints them.
func Checks() []Check {
	return []Check{
		{"config", checkConfig},
		{"secrets", checkSecrets},
		{"file modes", checkFileModes},
		{"signing keys", checkSigningKeys},
		{"models", checkModels},
		{"api", checkAPI},
		{"token accepted", checkTokenAccepted},
		{"token required", checkTokenRequired},
		{"redis", checkRedis},
		{"tls chain", checkTLSChain},
		{"tls hosts", checkTLSHosts},
		{"tls expiry", checkTLSExpiry},
		{"tls version", checkTLSVersion},
		{"http redirect", checkRedirect},
		{"host names", checkHostNames},
		{"ports", checkPorts},
		{"docker", checkDocker},
		{"containers", checkContainers},
		{"api container", checkAPIContainer},
		{"prometheus targets", checkPrometheusTargets},
	}
}

// Run runs checks in parallel, each with timeout (DefaultTimeout when
// zero), and returns their results in the order of checks. A check that
// does not finish in time fails with a result naming the timeout.
func Run(ctx context.Context, env *Env, checks []Check, timeout time.Duration) []Result {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	results := make([]Result, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = runOne(ctx, env, c, timeout)
		}()
	}
	wg.Wait()
	return results
}

func runOne(ctx context.Context, env *Env, c Check, timeout time.Duration) Result {
	if env.ConfigErr != nil && c.Name != "config" {
		return skip(c.Name, "the configuration did not load")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan Result, 1)
	go func() {
		r := c.Run(ctx, env)
		r.Name = c.Name
		done <- r
	}()
	select {
	case r := <-done:
		return r
	case <-ctx.Done():
		return Result{Name: c.Name, Status: StatusFail,
			Detail: fmt.Sprintf("did not finish within %s", timeout),
			Fix:    "something it contacts hangs; run again with a longer --timeout to see what"}
	}
}

// Failed reports whether any result is a failure.
func Failed(results []Result) bool {
	for _, r := range results {
		if r.Status == StatusFail {
			return true
		}
	}
	return false
}

func pass(detail string, args ...any) Result {
	return Result{Status: StatusPass, Detail: fmt.Sprintf(detail, args...)}
}

func skip(name, reason string) Result {
	return Result{Name: name, Status: StatusSkip, Detail: reason}
}

func fail(detail, fix string) Result {
	return Result{Status: StatusFail, Detail: detail, Fix: fix}
}

func warn(detail, fix string) Result {
	return Result{Status: StatusWarn, Detail: detail, Fix: fix}
}
