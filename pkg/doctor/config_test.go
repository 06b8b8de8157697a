package doctor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/mlops-dev/mlops/pkg/client/clienttest"
	"github.com/mlops-dev/mlops/pkg/registry"
)

func TestCheckConfig(t *testing.T) {
	env, _ := apiEnv(t, clienttest.Options{})
	want(t, runCheck(t, env, "config"), StatusPass, "loads and every setting is valid", "")

	env.Config.File = ""
	want(t, runCheck(t, env, "config"), StatusWarn, "no mlops.yaml found", "run `mlops init`")

	broken := &Env{ConfigErr: errors.New("mlops.yaml: serve.max_batch: 0 must be at least 1")}
	results := Run(context.Background(), broken, Checks(), 0)
	want(t, results[0], StatusFail, "serve.max_batch: 0 must be at least 1", "correct the setting named above")
	for _, r := range results[1:] {
		want(t, r, StatusSkip, "the configuration did not load", "")
	}
}

func TestCheckSecrets(t *testing.T) {
	env, _ := apiEnv(t, clienttest.Options{})
	want(t, runCheck(t, env, "secrets"), StatusPass, "auth.secret has 48 bytes", "")

	env.Config.Auth.Secret = "changeme-changeme-changeme-changeme-1234"
	want(t, runCheck(t, env, "secrets"), StatusFail, `placeholder word "changeme"`, "openssl rand -base64 48")

	env.Config.Auth.Secret = ""
	want(t, runCheck(t, env, "secrets"), StatusFail, "secret is empty", "set MLOPS_AUTH_SECRET in .env")
}

func TestCheckSecrets_RedisPassword(t *testing.T) {
	env, _ := apiEnv(t, clienttest.Options{})
	env.Config.Redis.Addr = "127.0.0.1:6379"
	env.Config.Redis.Password = "Vq8rT2xM9pLw4Zk7Hn3Bc6Ys"
	want(t, runCheck(t, env, "secrets"), StatusPass, "redis.password has 24 bytes", "")

	env.Config.Redis.Password = "short"
	want(t, runCheck(t, env, "secrets"), StatusFail, "redis.password is 5 bytes or a template placeholder", "MLOPS_REDIS_PASSWORD")

	env.Config.Redis.Password = ""
	want(t, runCheck(t, env, "secrets"), StatusWarn, "redis.password is empty", "requirepass")
}

func TestCheckFileModes(t *testing.T) {
	env, a := apiEnv(t, clienttest.Options{})
	want(t, runCheck(t, env, "file modes"), StatusPass, "keys/signing.key", "")

	key := a.Config.Path(a.Config.Keys.Private)
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	want(t, runCheck(t, env, "file modes"), StatusFail, "keys/signing.key has mode 0644", "chmod 600 keys/signing.key")
}

func TestCheckSigningKeys(t *testing.T) {
	env, a := apiEnv(t, clienttest.Options{})
	want(t, runCheck(t, env, "signing keys"), StatusPass, "keys/signing.key and keys/signing.pub are a pair", "")

	other := t.TempDir()
	if err := registry.GenerateKeyPair(filepath.Join(other, "k"), filepath.Join(other, "k.pub")); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(other, "k.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(a.Config.Path(a.Config.Keys.Public), data, 0o644); err != nil {
		t.Fatal(err)
	}
	want(t, runCheck(t, env, "signing keys"), StatusFail, "keys/signing.pub does not belong to keys/signing.key",
		"restore the matching public key")

	os.Remove(a.Config.Path(a.Config.Keys.Public))
	want(t, runCheck(t, env, "signing keys"), StatusFail, "keys/signing.key exists but keys/signing.pub does not",
		"restore the public key")
}

func TestCheckModels(t *testing.T) {
	env, a := apiEnv(t, clienttest.Options{})
	want(t, runCheck(t, env, "models"), StatusPass, "1 version of 1 model verify", "")

	forest := filepath.Join(a.Registry.Root, "iris", "v1", "forest.bin")
	data, err := os.ReadFile(forest)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	os.Chmod(forest, 0o644)
	if err := os.WriteFile(forest, data, 0o644); err != nil {
		t.Fatal(err)
	}
	want(t, runCheck(t, env, "models"), StatusFail, "verify iris v1: forest.bin", "mlops models verify")

	env.Config.Models.Dir = t.TempDir()
	want(t, runCheck(t, env, "models"), StatusWarn, "no model versions", "mlops train")
}
