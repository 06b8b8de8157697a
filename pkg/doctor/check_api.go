package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/client"
)

// connect returns a client for api.url that sends no token, or a token
// minted here with roles.
func connect(env *Env, roles []string) (*client.Conn, error) {
	cfg := *env.Config
	cfg.API.Token = "" // the checks test tokens they control
	return client.Connect(&cfg, client.Options{MintRoles: roles})
}

// explained returns a failing Result for an API call error, using the
// client's explanation and fix when it has one.
func explained(c *client.Conn, err error) Result {
	err = c.Explain(err)
	var ce *client.Error
	if errors.As(err, &ce) {
		return fail(ce.What, ce.Fix)
	}
	return fail(err.Error(), "check api.url and that the server runs")
}

// apiReachable calls GET /health once per Env. When the API does not
// respond, the checks that need it are skipped instead of failing again.
func (e *Env) apiReachable(ctx context.Context) error {
	e.apiOnce.Do(func() {
		c, err := connect(e, nil)
		if err != nil {
			e.apiErr = err
			return
		}
		defer c.Close()
		_, e.apiErr = c.API.Health(ctx)
	})
	return e.apiErr
}

func checkAPI(ctx context.Context, env *Env) Result {
	c, err := connect(env, nil)
	if err != nil {
		return fail(err.Error(), "set api.url to the URL of the running API")
	}
	defer c.Close()
	if err := env.apiReachable(ctx); err != nil {
		return explained(c, err)
	}
	ready, err := c.API.Ready(ctx)
	if err != nil {
		return explained(c, err)
	}
	if !ready.Ready {
		return fail(fmt.Sprintf("%s/ready reports not ready: %s", c.URL, ready.Reason),
			"check the server log; a model that fails verification never serves")
	}
	model := "?"
	if ready.Model != nil {
		model = fmt.Sprintf("%s:v%d", ready.Model.Name, ready.Model.Version)
	}
	if ready.Limiter == "memory" {
		if env.Config.Redis.Addr == "" {
			return pass("%s responds to /health and /ready, serving %s with the in-memory limiter (redis.addr is not set)",
				c.URL, model)
		}
		return warn(fmt.Sprintf("%s serves %s but limits rates in memory: it cannot reach Redis at %s",
			c.URL, model, env.Config.Redis.Addr),
			"start Redis or correct redis.addr as the server sees it; the API returns to Redis by itself")
	}
	return pass("%s responds to /health and /ready, serving %s with the %s rate limiter", c.URL, model, ready.Limiter)
}

func checkTokenAccepted(ctx context.Context, env *Env) Result {
	if err := env.apiReachable(ctx); err != nil {
		return skip("", "the API does not respond (see the api check)")
	}
	c, err := connect(env, []string{auth.RoleRead})
	if err != nil {
		return fail(err.Error(), "set api.url to the URL of the running API")
	}
	defer c.Close()
	if c.Token == "" {
		return skip("", "no token can be minted here: "+c.MintErr.Error())
	}
	info, err := c.API.ModelInfo(ctx)
	if err != nil {
		return explained(c, err)
	}
	return pass("a read token signed here is accepted by GET /model/info (%s:v%d)", info.Name, info.Version)
}

func checkTokenRequired(ctx context.Context, env *Env) Result {
	if err := env.apiReachable(ctx); err != nil {
		return skip("", "the API does not respond (see the api check)")
	}
	c, err := connect(env, nil)
	if err != nil {
		return fail(err.Error(), "set api.url to the URL of the running API")
	}
	defer c.Close()
	_, err = c.API.ModelInfo(ctx)
	var apiErr *api.Error
	switch {
	case err == nil:
		return fail("GET /model/info returned 200 without a token",
			"the server at api.url does not check tokens; run `mlops serve`, which always requires one")
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized:
		return pass("GET /model/info without a token is refused with 401 %s", apiErr.Code)
	}
	return explained(c, err)
}
