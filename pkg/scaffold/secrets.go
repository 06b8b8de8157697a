package scaffold

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Secret keys in .env and the random bytes behind each value. The values are
// base64url without padding, so 32 bytes give 43 characters.
var secretSizes = []struct {
	Key   string
	Bytes int
}{
	{"MLOPS_AUTH_SECRET", 32},
	{"MLOPS_REDIS_PASSWORD", 24},
	{"GRAFANA_ADMIN_PASSWORD", 18},
	{"CODE_SERVER_PASSWORD", 18},
	{"DASHBOARD_PASSWORD", 18},
}

// Keys of .env that are not secrets: the host user Traefik runs as.
const (
	envUID = "MLOPS_UID"
	envGID = "MLOPS_GID"
)

// dashboardUser is the basic auth user of the dashboard and metrics hosts.
const dashboardUser = "admin"

// EnvKeys returns the keys init writes to .env, in file order.
func EnvKeys() []string {
	keys := make([]string, 0, len(secretSizes)+2)
	for _, s := range secretSizes {
		keys = append(keys, s.Key)
	}
	return append(keys, envUID, envGID)
}

// RandomSecret returns n bytes from crypto/rand as unpadded base64url.
func RandomSecret(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// buildEnv keeps every value already in dir/.env, generates the missing
// secrets and appends keys of the old file that init does not know.
func buildEnv(dir string, uid, gid int) ([]envVar, error) {
	old, order, err := readEnv(filepath.Join(dir, ".env"))
	if err != nil {
		return nil, err
	}
	var env []envVar
	for _, s := range secretSizes {
		value := old[s.Key]
		if value == "" {
			if value, err = RandomSecret(s.Bytes); err != nil {
				return nil, err
			}
		}
		env = append(env, envVar{s.Key, value})
	}
	env = append(env, envVar{envUID, keep(old[envUID], strconv.Itoa(uid))})
	env = append(env, envVar{envGID, keep(old[envGID], strconv.Itoa(gid))})
	known := EnvKeys()
	for _, key := range order {
		if !slices.Contains(known, key) {
			env = append(env, envVar{key, old[key]})
		}
	}
	return env, nil
}

func keep(old, fresh string) string {
	if old != "" {
		return old
	}
	return fresh
}

var envKeyPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// readEnv parses KEY=VALUE lines; a missing file is empty. Quotes around a
// value are removed.
func readEnv(path string) (map[string]string, []string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	values := map[string]string{}
	var order []string
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; scanner.Scan(); n++ {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		key = strings.TrimSpace(key)
		if !ok || !envKeyPattern.MatchString(key) {
			return nil, nil, fmt.Errorf("%s line %d: expected KEY=VALUE", path, n)
		}
		if _, seen := values[key]; !seen {
			order = append(order, key)
		}
		values[key] = unquote(strings.TrimSpace(value))
	}
	return values, order, scanner.Err()
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

func envValue(env []envVar, key string) string {
	for _, v := range env {
		if v.Key == key {
			return v.Value
		}
	}
	return ""
}

var basicAuthUser = regexp.MustCompile(`"` + dashboardUser + `:(\$2[aby]?\$[^"]+)"`)

// dashboardCredential returns the "admin:HASH" entry for Traefik's basic
// auth. It reuses the hash in the existing middlewares file when that hash
// still matches password, because bcrypt salts differ on every run and
// would otherwise change the file each time init runs.
func dashboardCredential(dir, password string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "traefik", "dynamic", "middlewares.yml"))
	if err == nil {
		if m := basicAuthUser.FindSubmatch(data); m != nil {
			if bcrypt.CompareHashAndPassword(m[1], []byte(password)) == nil {
				return dashboardUser + ":" + string(m[1]), nil
			}
		}
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash dashboard password: %w", err)
	}
	return dashboardUser + ":" + string(hash), nil
}
