package cmd

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/mlops-dev/mlops/pkg/config"
)

// configLoader merges, from lowest to highest precedence: defaults, mlops.yaml, the
// project's .env file, MLOPS_* environment variables, and flags bound with bindFlag.
type configLoader struct {
	v      *viper.Viper
	cached *config.Config

	// pending holds flag bindings until the command that owns the flag runs: viper keeps
	// one flag per key, so binding every command's flags up front would let the last
	// registered command win for keys that several commands share.
	pending []flagBinding
	running bool
}

type flagBinding struct {
	key  string
	flag *pflag.Flag
}

func newConfigLoader() *configLoader {
	v := viper.New()
	for _, s := range config.Settings {
		v.SetDefault(s.Key, s.Default)
	}
	v.SetEnvPrefix("MLOPS")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	return &configLoader{v: v}
}

// bindFlag makes a command flag override the setting key when the flag is given and
// its command is the one that runs.
func (f *Factory) bindFlag(key string, flag *pflag.Flag) {
	if flag == nil {
		panic("bindFlag: no flag for " + key) // a programming error, caught by the command tests
	}
	if f.loader.running {
		_ = f.loader.v.BindPFlag(key, flag)
		return
	}
	f.loader.pending = append(f.loader.pending, flagBinding{key, flag})
}

// applyBindings binds the pending flags that belong to the running command.
func (l *configLoader) applyBindings(flags *pflag.FlagSet) {
	l.running = true
	for _, b := range l.pending {
		if flags.Lookup(b.flag.Name) == b.flag {
			_ = l.v.BindPFlag(b.key, b.flag)
		}
	}
	l.pending = nil
}

func (l *configLoader) load(explicit string) (*config.Config, error) {
	if l.cached != nil {
		return l.cached, nil
	}
	file, err := findConfigFile(explicit)
	if err != nil {
		return nil, err
	}

	dir, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("find working directory: %w", err)
	}
	if file != "" {
		l.v.SetConfigFile(file)
		l.v.SetConfigType("yaml")
		if err := l.v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("read %s: %s", file, oneLine(err.Error()))
		}
		dir = filepath.Dir(file)
	}
	if err := l.mergeDotEnv(filepath.Join(dir, ".env")); err != nil {
		return nil, err
	}
	if err := l.readSecretFiles(); err != nil {
		return nil, err
	}

	var c config.Config
	if err := l.v.Unmarshal(&c); err != nil {
		return nil, fmt.Errorf("%s: %s", describeFile(file), oneLine(err.Error()))
	}
	c.Dir, c.File = dir, file
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", describeFile(file), err)
	}
	l.cached = &c
	return &c, nil
}

func describeFile(file string) string {
	if file == "" {
		return "configuration"
	}
	return file
}

// findConfigFile returns the explicit file (which must exist), else ./mlops.yaml when
// present, else "".
func findConfigFile(explicit string) (string, error) {
	if explicit != "" {
		abs, err := filepath.Abs(explicit)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(abs); err != nil {
			return "", &UsageError{Err: fmt.Errorf("--config %s: file not found", explicit)}
		}
		return abs, nil
	}
	abs, err := filepath.Abs("mlops.yaml")
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(abs); err == nil {
		return abs, nil
	}
	return "", nil
}

// mergeDotEnv reads KEY=VALUE lines of the project's .env file and applies the MLOPS_*
// keys as settings unless the process environment already sets them. Other keys (for
// example GRAFANA_ADMIN_PASSWORD) are for the compose file and are ignored here.
func (l *configLoader) mergeDotEnv(path string) error {
	fh, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	defer fh.Close()

	values := map[string]any{}
	scanner := bufio.NewScanner(fh)
	for line := 1; scanner.Scan(); line++ {
		text := strings.TrimSpace(scanner.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		name, value, ok := strings.Cut(text, "=")
		if !ok {
			return fmt.Errorf("%s:%d: expected KEY=VALUE", path, line)
		}
		name = strings.TrimSpace(name)
		if !strings.HasPrefix(name, "MLOPS_") || os.Getenv(name) != "" {
			continue
		}
		key := settingKeyForEnv(name)
		if key == "" {
			continue
		}
		setNested(values, key, strings.Trim(strings.TrimSpace(value), `"'`))
	}
	if err := scanner.Err(); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return l.v.MergeConfigMap(values)
}

// readSecretFiles applies MLOPS_X_FILE variables for secret settings: the file's
// content, less a trailing newline, becomes the value. Docker secrets arrive as files
// under /run/secrets, and this keeps them out of environment variables.
func (l *configLoader) readSecretFiles() error {
	for _, s := range config.Settings {
		if !s.Secret {
			continue
		}
		name := envName(s.Key)
		path := os.Getenv(name + "_FILE")
		if path == "" {
			continue
		}
		if os.Getenv(name) != "" {
			return fmt.Errorf("%s and %s_FILE are both set; keep one", name, name)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("%s_FILE: %w", name, err)
		}
		l.v.Set(s.Key, strings.TrimRight(string(data), "\r\n"))
	}
	return nil
}

// envName returns the environment variable of a setting key: auth.secret is
// MLOPS_AUTH_SECRET.
func envName(key string) string {
	return "MLOPS_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// settingKeyForEnv maps MLOPS_AUTH_SECRET to auth.secret, or "" for unknown names.
func settingKeyForEnv(name string) string {
	for _, s := range config.Settings {
		if envName(s.Key) == name {
			return s.Key
		}
	}
	return ""
}

func setNested(m map[string]any, key string, value any) {
	parts := strings.Split(key, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = value
}
