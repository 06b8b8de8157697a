package deploy

import (
	"context"
	"testing"

	"github.com/mlops-dev/mlops/pkg/scaffold"
	"github.com/mlops-dev/mlops/pkg/stack"
)

func apiRedisAddr(t *testing.T, skip []string) (string, bool) {
	t.Helper()
	dir := t.TempDir()
	if _, err := scaffold.Write(context.Background(), scaffold.Options{Dir: dir, Project: "demo"}, nil); err != nil {
		t.Fatal(err)
	}
	project, err := stack.Load(context.Background(), stack.LoadOptions{Dir: dir, Name: "demo", Env: composeEnv(skip)})
	if err != nil {
		t.Fatal(err)
	}
	api, err := project.GetService("api")
	if err != nil {
		t.Fatal(err)
	}
	v, ok := api.Environment["MLOPS_REDIS_ADDR"]
	if !ok || v == nil {
		return "", ok
	}
	return *v, true
}

func TestComposeEnv_RedisAddrFollowsSkip(t *testing.T) {
	if addr, _ := apiRedisAddr(t, nil); addr != "redis:6379" {
		t.Errorf("api MLOPS_REDIS_ADDR with redis in the stack = %q, want redis:6379", addr)
	}
	if addr, _ := apiRedisAddr(t, []string{"redis"}); addr != "" {
		t.Errorf("api MLOPS_REDIS_ADDR with --skip redis = %q, want empty (in-memory limiter)", addr)
	}
}
