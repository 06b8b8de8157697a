package doctor

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/internal/testsvc"
	"github.com/mlops-dev/mlops/pkg/client/clienttest"
)

func TestCheckAPI(t *testing.T) {
	env, _ := apiEnv(t, clienttest.Options{})
	env.Config.Redis.Addr = ""
	want(t, runCheck(t, env, "api"), StatusPass,
		"responds to /health and /ready, serving iris:v1 with the in-memory limiter (redis.addr is not set)", "")

	env.Config.Redis.Addr = "127.0.0.1:6379"
	want(t, runCheck(t, env, "api"), StatusWarn, "limits rates in memory: it cannot reach Redis at 127.0.0.1:6379", "start Redis")

	down := &Env{Config: env.Config, Resolver: env.Resolver}
	down.Config.API.URL = "http://" + closedAddr(t)
	want(t, runCheck(t, down, "api"), StatusFail, "connection refused", "is the server up?")
	want(t, runCheck(t, down, "token accepted"), StatusSkip, "the API does not respond", "")
}

func TestCheckTokenAccepted(t *testing.T) {
	env, _ := apiEnv(t, clienttest.Options{})
	want(t, runCheck(t, env, "token accepted"), StatusPass, "accepted by GET /model/info (iris:v1)", "")

	wrong := &Env{Config: env.Config, Resolver: env.Resolver}
	wrong.Config.Auth.Secret = "Zk3v9QmX2pL7wR4tY8uB1nC6dF0gH5jS"
	want(t, runCheck(t, wrong, "token accepted"), StatusFail, "401 token_invalid_signature",
		"the server does not accept tokens signed here")

	wrong.Config.Auth.Secret = ""
	want(t, runCheck(t, wrong, "token accepted"), StatusSkip, "no token can be minted here: auth.secret is empty", "")
}

func TestCheckTokenRequired(t *testing.T) {
	env, _ := apiEnv(t, clienttest.Options{})
	want(t, runCheck(t, env, "token required"), StatusPass, "refused with 401 token_missing", "")

	// A server that serves every route without checking for a token.
	open := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok","name":"iris","version":1}`))
	}))
	defer open.Close()
	env.Config.API.URL = open.URL
	want(t, runCheck(t, env, "token required"), StatusFail, "returned 200 without a token", "always requires one")
}

func TestCheckRedis(t *testing.T) {
	env, _ := apiEnv(t, clienttest.Options{Plain: true})
	const password = "Vq8rT2xM9pLw4Zk7Hn3Bc6Ys"
	srv := testsvc.StartRedis(t, password)
	env.Config.Redis.Addr, env.Config.Redis.Password = srv.Addr, password
	want(t, runCheck(t, env, "redis"), StatusPass, "PING "+srv.Addr+" returned PONG", "")

	env.Config.Redis.Password = "Wrong8rT2xM9pLw4Zk7Hn3Bc"
	want(t, runCheck(t, env, "redis"), StatusFail, "rejects the password", "MLOPS_REDIS_PASSWORD")

	env.Config.Redis.Password = password
	srv.Stop()
	want(t, runCheck(t, env, "redis"), StatusFail, "Redis at "+srv.Addr+" is unreachable: connection refused", "start Redis")

	env.Config.Redis.Addr = ""
	want(t, runCheck(t, env, "redis"), StatusPass, "in-memory limiter (redis.addr is not set)", "")

	env.Config.Redis.Addr = "redis:6379"
	want(t, runCheck(t, env, "redis"), StatusSkip, "names a service inside the stack's network", "")
}

func TestCheckRedis_Hung(t *testing.T) {
	env, _ := apiEnv(t, clienttest.Options{Plain: true})
	srv := testsvc.StartRedis(t, "")
	env.Config.Redis.Addr = srv.Addr
	srv.Pause()
	defer srv.Resume()
	r := Run(t.Context(), env, []Check{{"redis", checkRedis}}, 300*time.Millisecond)[0]
	if r.Status != StatusFail {
		t.Fatalf("status = %s (%s), want fail for a Redis that does not answer", r.Status, r.Detail)
	}
}
