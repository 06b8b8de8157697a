package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/certs"
	"github.com/mlops-dev/mlops/pkg/registry"
)

// minRedisPasswordBytes is the shortest Redis password accepted without a
// failure; mlops init generates longer ones.
const minRedisPasswordBytes = 16

func checkConfig(_ context.Context, env *Env) Result {
	if env.ConfigErr != nil {
		return fail(env.ConfigErr.Error(), "correct the setting named above in mlops.yaml, .env or the MLOPS_* variable")
	}
	if env.Config.File == "" {
		return warn("no mlops.yaml found, so the built-in defaults apply",
			"run `mlops init` to create a project, or pass --config FILE")
	}
	return pass("%s loads and every setting is valid", env.Config.File)
}

func checkSecrets(_ context.Context, env *Env) Result {
	cfg := env.Config
	var found []string
	if cfg.Auth.Algorithm == "" || cfg.Auth.Algorithm == auth.AlgHS256 {
		if err := auth.ValidateSecret([]byte(cfg.Auth.Secret)); err != nil {
			return fail("auth.secret: "+err.Error(), "set MLOPS_AUTH_SECRET in .env to the output of: openssl rand -base64 48")
		}
		found = append(found, fmt.Sprintf("auth.secret has %d bytes", len(cfg.Auth.Secret)))
	} else {
		found = append(found, "tokens are signed with "+cfg.Auth.Algorithm+" keys, no shared secret")
	}

	switch pw := cfg.Redis.Password; {
	case cfg.Redis.Addr == "":
	case pw == "":
		return warn("redis.password is empty, so anyone who reaches Redis can change the rate limits",
			"set MLOPS_REDIS_PASSWORD in .env and the same requirepass in Redis")
	case len(pw) < minRedisPasswordBytes || isPlaceholder(pw):
		return fail(fmt.Sprintf("redis.password is %d bytes or a template placeholder", len(pw)),
			"set MLOPS_REDIS_PASSWORD in .env to the output of: openssl rand -hex 24, and the same requirepass in Redis")
	default:
		found = append(found, fmt.Sprintf("redis.password has %d bytes", len(pw)))
	}
	return pass("%s", strings.Join(found, "; "))
}

func isPlaceholder(s string) bool {
	lower := strings.ToLower(s)
	for _, w := range []string{"changeme", "change-me", "change_me", "placeholder", "replace", "password", "example"} {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// secretFiles lists the files that must be readable by their owner only.
func secretFiles(env *Env) []string {
	cfg := env.Config
	files := []string{
		cfg.Path(cfg.Keys.Private),
		filepath.Join(cfg.Dir, ".env"),
		filepath.Join(cfg.Dir, "certs", certs.CAKeyFile),
		filepath.Join(cfg.Dir, "certs", certs.KeyFile),
		cfg.Path(cfg.Serve.ClientsFile),
	}
	for _, p := range []string{cfg.Auth.PrivateKey, cfg.Serve.TLSKey} {
		if p != "" {
			files = append(files, cfg.Path(p))
		}
	}
	return files
}

func checkFileModes(_ context.Context, env *Env) Result {
	var open, checked []string
	for _, path := range secretFiles(env) {
		info, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fail(fmt.Sprintf("cannot inspect %s: %v", path, err), "check the file's owner and the folder's permissions")
		}
		checked = append(checked, rel(env, path))
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			open = append(open, fmt.Sprintf("%s has mode %04o", rel(env, path), perm))
		}
	}
	if len(checked) == 0 {
		return skip("", "no secret or key files found")
	}
	if len(open) > 0 {
		return fail(strings.Join(open, ", ")+": group or others can read them",
			"chmod 600 "+strings.Join(pathsOf(open), " "))
	}
	return pass("%s readable by the owner only", strings.Join(checked, ", "))
}

func pathsOf(problems []string) []string {
	out := make([]string, len(problems))
	for i, p := range problems {
		out[i], _, _ = strings.Cut(p, " has mode ")
	}
	return out
}

// rel shortens path to be relative to the project folder when inside it.
func rel(env *Env, path string) string {
	if r, err := filepath.Rel(env.Config.Dir, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}

func checkSigningKeys(_ context.Context, env *Env) Result {
	cfg := env.Config
	privPath, pubPath := cfg.Path(cfg.Keys.Private), cfg.Path(cfg.Keys.Public)
	_, privErr := os.Stat(privPath)
	_, pubErr := os.Stat(pubPath)
	var found []string
	switch {
	case privErr != nil && pubErr != nil:
		found = append(found, "no model signing key pair yet")
	case privErr != nil:
		return fail(fmt.Sprintf("%s exists but %s does not", rel(env, pubPath), rel(env, privPath)),
			"restore the private key from your backup; without it no new version can be signed")
	case pubErr != nil:
		return fail(fmt.Sprintf("%s exists but %s does not", rel(env, privPath), rel(env, pubPath)),
			"restore the public key that matches it; serve and verify need it")
	default:
		if r, ok := keyPairMatches(env, privPath, pubPath); !ok {
			return r
		}
		found = append(found, fmt.Sprintf("%s and %s are a pair", rel(env, privPath), rel(env, pubPath)))
	}
	if r, ok := jwtKeysMatch(env); !ok {
		return r
	} else if r.Detail != "" {
		found = append(found, r.Detail)
	}
	if len(found) == 1 && found[0] == "no model signing key pair yet" {
		return skip("", "no model signing key pair yet; `mlops train` creates one")
	}
	return pass("%s", strings.Join(found, "; "))
}

func keyPairMatches(env *Env, privPath, pubPath string) (Result, bool) {
	priv, err := registry.LoadPrivateKey(privPath)
	if err != nil {
		return fail(err.Error(), "restore the key file from your backup"), false
	}
	pub, err := registry.LoadPublicKey(pubPath)
	if err != nil {
		return fail(err.Error(), "restore the key file from your backup"), false
	}
	if !pub.Equal(priv.Public()) {
		return fail(fmt.Sprintf("%s does not belong to %s: versions signed now will not verify",
			rel(env, pubPath), rel(env, privPath)),
			"restore the matching public key; `mlops keys generate --force` makes a new pair, after which old versions no longer verify"), false
	}
	return Result{}, true
}

// jwtKeysMatch checks the EdDSA or RS256 token keys when both halves are
// configured; NewIssuer rejects a public key that does not match.
func jwtKeysMatch(env *Env) (Result, bool) {
	ac := env.Config.Auth
	if ac.PrivateKey == "" || ac.PublicKey == "" {
		return Result{}, true
	}
	cfg, err := auth.ConfigFrom(ac, env.Config.Dir)
	if err == nil {
		_, err = auth.NewIssuer(cfg)
	}
	if err != nil {
		return fail("token keys: "+err.Error(), "make auth.public_key the public half of auth.private_key"), false
	}
	return Result{Detail: "auth.private_key and auth.public_key are a pair"}, true
}

// plural formats n with noun, adding "s" unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func checkModels(_ context.Context, env *Env) Result {
	cfg := env.Config
	root := cfg.Path(cfg.Models.Dir)
	reg := registry.Open(root)
	names, err := reg.Models()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fail(fmt.Sprintf("list models in %s: %v", rel(env, root), err), "check that models.dir is the registry folder")
	}
	if len(names) == 0 {
		return warn(fmt.Sprintf("no model versions in %s", rel(env, root)), "train one with `mlops train`")
	}
	pub, err := registry.LoadPublicKey(cfg.Path(cfg.Keys.Public))
	if err != nil {
		return fail(err.Error(), "restore keys.public, the key that signed the models")
	}

	count := 0
	var bad []string
	for _, name := range names {
		versions, err := reg.Versions(name)
		if err != nil {
			return fail(err.Error(), "check the registry folder "+rel(env, root))
		}
		for _, v := range versions {
			count++
			if err := reg.Verify(name, v, pub); err != nil {
				bad = append(bad, err.Error())
			}
		}
	}

	if len(bad) > 0 {
		return fail(fmt.Sprintf("%d of %d versions fail verification: %s", len(bad), count, strings.Join(bad, "; ")),
			"remove or re-import the failing versions (`mlops models import` of a good export), then run `mlops models verify`")
	}
	return pass("%s of %s verify against %s", plural(count, "version"), plural(len(names), "model"),
		rel(env, cfg.Path(cfg.Keys.Public)))
}
