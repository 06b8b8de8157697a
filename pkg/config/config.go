// Package config defines mlops's typed settings and their defaults.
//
// The settings come from mlops.yaml, MLOPS_* environment variables and command-line
// flags, merged by the cmd package. Nothing in this package reads files or the
// environment, so every feature package receives a plain Config value.
package config

import (
	"fmt"
	"path/filepath"
	"time"
)

// Config is the full set of mlops settings. The mapstructure tag of each field is its
// key in mlops.yaml. Its environment variable is MLOPS_ plus the upper-cased key path
// with dots replaced by underscores, for example MLOPS_AUTH_SECRET.
type Config struct {
	Project    string          `mapstructure:"project" json:"project"`
	Domain     string          `mapstructure:"domain" json:"domain"`
	HTTPSPort  int             `mapstructure:"https_port" json:"https_port"`
	HTTPPort   int             `mapstructure:"http_port" json:"http_port"`
	Models     ModelsConfig    `mapstructure:"models" json:"models"`
	Keys       KeysConfig      `mapstructure:"keys" json:"keys"`
	Serve      ServeConfig     `mapstructure:"serve" json:"serve"`
	Auth       AuthConfig      `mapstructure:"auth" json:"auth"`
	Redis      RedisConfig     `mapstructure:"redis" json:"redis"`
	RateLimits map[string]Rate `mapstructure:"rate_limits" json:"rate_limits"`
	Stack      StackConfig     `mapstructure:"stack" json:"stack"`
	Train      TrainConfig     `mapstructure:"train" json:"train"`
	API        APIConfig       `mapstructure:"api" json:"api"`
	Monitor    MonitorConfig   `mapstructure:"monitor" json:"monitor"`
	// Mode is "compose" (one container per service) or "swarm" (replicated services).
	Mode  string      `mapstructure:"mode" json:"mode"`
	Swarm SwarmConfig `mapstructure:"swarm" json:"swarm"`

	// Dir is the project folder: the folder of mlops.yaml, or the working directory
	// when no file was found. Relative paths in the settings are resolved against it.
	Dir string `mapstructure:"-" json:"-"`
	// File is the configuration file that was read, empty when none was.
	File string `mapstructure:"-" json:"file,omitempty"`
}

// ModelsConfig locates the model registry and the model that serve and predict use.
type ModelsConfig struct {
	Dir   string `mapstructure:"dir" json:"dir"`
	Name  string `mapstructure:"name" json:"name"`
	Alias string `mapstructure:"alias" json:"alias"`
}

// KeysConfig holds the paths of the Ed25519 key pair that signs model manifests.
type KeysConfig struct {
	Private string `mapstructure:"private" json:"private"`
	Public  string `mapstructure:"public" json:"public"`
}

// ServeConfig holds the settings of the inference API server.
type ServeConfig struct {
	Addr          string        `mapstructure:"addr" json:"addr"`
	MetricsAddr   string        `mapstructure:"metrics_addr" json:"metrics_addr"`
	TLSCert       string        `mapstructure:"tls_cert" json:"tls_cert"`
	TLSKey        string        `mapstructure:"tls_key" json:"tls_key"`
	MaxBatch      int           `mapstructure:"max_batch" json:"max_batch"`
	MaxBodyBytes  int64         `mapstructure:"max_body_bytes" json:"max_body_bytes"`
	ClientsFile   string        `mapstructure:"clients_file" json:"clients_file"`
	WatchInterval time.Duration `mapstructure:"watch_interval" json:"watch_interval"`
	ServedBy      bool          `mapstructure:"served_by" json:"served_by"`
	DrainDelay    time.Duration `mapstructure:"drain_delay" json:"drain_delay"`
	// TrustedProxies are addresses or CIDR ranges whose X-Forwarded-For is believed.
	TrustedProxies []string `mapstructure:"trusted_proxies" json:"trusted_proxies"`
}

// AuthConfig holds the JWT settings shared by serve, token, predict and doctor.
type AuthConfig struct {
	Algorithm  string        `mapstructure:"algorithm" json:"algorithm"`
	Secret     string        `mapstructure:"secret" json:"-"`
	PrivateKey string        `mapstructure:"private_key" json:"private_key"`
	PublicKey  string        `mapstructure:"public_key" json:"public_key"`
	KeyID      string        `mapstructure:"key_id" json:"key_id"`
	Issuer     string        `mapstructure:"issuer" json:"issuer"`
	Audience   string        `mapstructure:"audience" json:"audience"`
	MaxTTL     time.Duration `mapstructure:"max_ttl" json:"max_ttl"`
	Leeway     time.Duration `mapstructure:"leeway" json:"leeway"`
}

// RedisConfig locates the Redis server behind the rate limiter. An empty Addr selects
// the in-memory limiter.
type RedisConfig struct {
	Addr     string        `mapstructure:"addr" json:"addr"`
	Password string        `mapstructure:"password" json:"-"`
	Timeout  time.Duration `mapstructure:"timeout" json:"timeout"`
}

// Rate is one rate-limit rule: Limit requests per Period, with bursts up to Burst.
type Rate struct {
	Limit  int           `mapstructure:"limit" json:"limit"`
	Period time.Duration `mapstructure:"period" json:"period"`
	Burst  int           `mapstructure:"burst" json:"burst,omitempty"`
}

// StackConfig selects the services of the Docker stack and their images.
type StackConfig struct {
	Services []string          `mapstructure:"services" json:"services"`
	Images   map[string]string `mapstructure:"images" json:"images"`
}

// TrainConfig holds the defaults of mlops train.
type TrainConfig struct {
	Trees          int     `mapstructure:"trees" json:"trees"`
	MaxDepth       int     `mapstructure:"max_depth" json:"max_depth"`
	MinSamplesLeaf int     `mapstructure:"min_samples_leaf" json:"min_samples_leaf"`
	TestSize       float64 `mapstructure:"test_size" json:"test_size"`
	CVFolds        int     `mapstructure:"cv" json:"cv"`
	Seed           int64   `mapstructure:"seed" json:"seed"`
}

// APIConfig locates the API for the client commands (predict, token --client-id,
// doctor) and names the CA that verifies its certificate.
type APIConfig struct {
	URL    string `mapstructure:"url" json:"url"`
	CACert string `mapstructure:"ca_cert" json:"ca_cert"`
	Token  string `mapstructure:"token" json:"-"`
}

// MonitorConfig bounds the predictions serve keeps for feedback and sets input drift
// detection.
type MonitorConfig struct {
	MaxPredictions    int           `mapstructure:"max_predictions" json:"max_predictions"`
	MaxAge            time.Duration `mapstructure:"max_age" json:"max_age"`
	AccuracyWindow    int           `mapstructure:"accuracy_window" json:"accuracy_window"`
	DriftWindow       int           `mapstructure:"drift_window" json:"drift_window"`
	DriftMinSamples   int           `mapstructure:"drift_min_samples" json:"drift_min_samples"`
	DriftPSIThreshold float64       `mapstructure:"drift_psi_threshold" json:"drift_psi_threshold"`
}

// SwarmConfig holds the settings of swarm mode.
type SwarmConfig struct {
	Replicas     int    `mapstructure:"replicas" json:"replicas"`
	EndpointMode string `mapstructure:"endpoint_mode" json:"endpoint_mode"`
}

// Setting is one configuration key with its default value and a one-line description.
type Setting struct {
	Key         string
	Default     any
	Description string
	Secret      bool
}

// Settings lists every key with its default. The cmd package registers these with viper,
// and doctor prints them with secrets masked.
var Settings = []Setting{
	{"project", "mlops", "project name, used for container, network and volume names", false},
	{"domain", "localhost", "domain under which the stack's hosts live (api.DOMAIN, ...)", false},
	{"https_port", 9443, "host port of the HTTPS entrypoint", false},
	{"http_port", 9080, "host port of the HTTP entrypoint that redirects to HTTPS", false},
	{"models.dir", "models", "folder of the model registry", false},
	{"models.name", "iris", "model name that train writes and serve loads", false},
	{"models.alias", "production", "alias that serve loads; the newest version when the alias is unset", false},
	{"keys.private", "keys/signing.key", "Ed25519 private key that signs model manifests", false},
	{"keys.public", "keys/signing.pub", "Ed25519 public key that verifies model manifests", false},
	{"serve.addr", "127.0.0.1:8080", "address the API listens on", false},
	{"serve.metrics_addr", "", "separate address for /metrics; empty serves it on the API address", false},
	{"serve.tls_cert", "", "certificate file; with tls_key the API speaks HTTPS (TLS 1.3) itself", false},
	{"serve.tls_key", "", "private key file of tls_cert", false},
	{"serve.max_batch", 1000, "maximum rows in one /predict/batch request", false},
	{"serve.max_body_bytes", int64(1 << 20), "maximum request body size in bytes", false},
	{"serve.clients_file", "clients.yaml", "client credentials file for POST /token", false},
	{"serve.watch_interval", 2 * time.Second, "how often serve checks the registry for a moved alias", false},
	{"serve.trusted_proxies", []string{}, "proxy addresses or CIDRs whose X-Forwarded-For names the caller (for the /token per-address limit)", false},
	{"serve.drain_delay", time.Duration(0), "time serve keeps accepting, with /ready at 503, after SIGTERM (set it for load-balanced replicas)", false},
	{"serve.served_by", false, "send the host name in an X-Served-By header (to tell replicas apart)", false},
	{"auth.algorithm", "HS256", "JWT signing algorithm: HS256, EdDSA or RS256", false},
	{"auth.secret", "", "HS256 secret, at least 32 bytes (set MLOPS_AUTH_SECRET)", true},
	{"auth.private_key", "", "PEM private key for EdDSA or RS256 tokens", false},
	{"auth.public_key", "", "PEM public key for EdDSA or RS256 tokens", false},
	{"auth.key_id", "", "kid header of issued tokens, for key rotation", false},
	{"auth.issuer", "mlops", "iss claim issued and required", false},
	{"auth.audience", "mlops-api", "aud claim issued and required", false},
	{"auth.max_ttl", 24 * time.Hour, "longest lifetime a token may be issued for", false},
	{"auth.leeway", 30 * time.Second, "clock skew allowed when checking exp and nbf", false},
	{"redis.addr", "", "Redis address host:port for rate limits; empty uses the in-memory limiter", false},
	{"redis.password", "", "Redis password (set MLOPS_REDIS_PASSWORD)", true},
	{"redis.timeout", 50 * time.Millisecond, "per-call Redis timeout before the in-memory limiter answers", false},
	{"rate_limits.predict", map[string]any{"limit": 600, "period": "1m"}, "rate limit of the predict role", false},
	{"rate_limits.read", map[string]any{"limit": 120, "period": "1m"}, "rate limit of the read role", false},
	{"rate_limits.admin", map[string]any{"limit": 60, "period": "1m"}, "rate limit of the admin role", false},
	{"rate_limits.feedback", map[string]any{"limit": 600, "period": "1m"}, "rate limit of the feedback role", false},
	{"stack.services", []string{"traefik", "api", "redis", "prometheus", "grafana", "code-server"}, "services of the Docker stack", false},
	{"stack.images", map[string]string{}, "image per service, overriding the compose file's", false},
	{"train.trees", 100, "number of trees in the forest", false},
	{"train.max_depth", 0, "maximum tree depth; 0 means unlimited", false},
	{"train.min_samples_leaf", 1, "minimum rows in a leaf", false},
	{"train.test_size", 0.2, "fraction of rows held out for the test split", false},
	{"train.cv", 5, "folds of stratified cross validation; 0 or 1 skips it", false},
	{"train.seed", int64(42), "random seed; the same seed gives a bit-identical model", false},
	{"monitor.max_predictions", 50000, "predictions kept for POST /feedback (about 150 bytes each)", false},
	{"monitor.max_age", time.Hour, "how long a prediction waits for its label", false},
	{"monitor.accuracy_window", 1000, "labelled predictions per model version behind the rolling accuracy", false},
	{"monitor.drift_window", 1000, "recent inputs compared with the training distribution", false},
	{"monitor.drift_min_samples", 200, "inputs needed before drift is reported", false},
	{"monitor.drift_psi_threshold", 0.2, "population stability index above which a feature counts as drifted", false},
	{"mode", "compose", "how up runs the stack: compose (one container per service) or swarm (replicated services)", false},
	{"swarm.replicas", 2, "api replicas in swarm mode", false},
	{"swarm.endpoint_mode", "vip", "how services find each other in swarm mode: vip (routing mesh, needs IPVS) or dnsrr (DNS round robin)", false},
	{"api.url", "http://127.0.0.1:8080", "URL of the inference API for predict, token and doctor", false},
	{"api.ca_cert", "", "CA certificate that verifies the API's TLS certificate", false},
	{"api.token", "", "bearer token for predict (set MLOPS_API_TOKEN)", true},
}

// Validate reports the first setting that cannot work, naming its key.
func (c *Config) Validate() error {
	switch {
	case c.Models.Dir == "":
		return fmt.Errorf("models.dir: must not be empty")
	case c.Models.Name == "":
		return fmt.Errorf("models.name: must not be empty")
	case c.HTTPSPort < 1 || c.HTTPSPort > 65535:
		return fmt.Errorf("https_port: %d is not a port number", c.HTTPSPort)
	case c.HTTPPort < 1 || c.HTTPPort > 65535:
		return fmt.Errorf("http_port: %d is not a port number", c.HTTPPort)
	case c.Serve.MaxBatch < 1:
		return fmt.Errorf("serve.max_batch: %d must be at least 1", c.Serve.MaxBatch)
	case c.Serve.MaxBodyBytes < 1024:
		return fmt.Errorf("serve.max_body_bytes: %d must be at least 1024", c.Serve.MaxBodyBytes)
	case c.Mode != "compose" && c.Mode != "swarm":
		return fmt.Errorf("mode: %q is not a mode; use compose or swarm", c.Mode)
	case c.Swarm.EndpointMode != "vip" && c.Swarm.EndpointMode != "dnsrr":
		return fmt.Errorf("swarm.endpoint_mode: %q is not a mode; use vip or dnsrr", c.Swarm.EndpointMode)
	case c.Swarm.Replicas < 1:
		return fmt.Errorf("swarm.replicas: %d must be at least 1", c.Swarm.Replicas)
	case c.Auth.MaxTTL <= 0:
		return fmt.Errorf("auth.max_ttl: %s must be positive", c.Auth.MaxTTL)
	}
	for role, r := range c.RateLimits {
		if r.Limit < 1 || r.Period <= 0 {
			return fmt.Errorf("rate_limits.%s: limit %d per %s is invalid (need limit >= 1 and a positive period)", role, r.Limit, r.Period)
		}
	}
	return nil
}

// Path resolves a path from the settings against the project folder. Absolute paths
// and empty strings are returned unchanged.
func (c *Config) Path(p string) string {
	if p == "" || filepath.IsAbs(p) || c.Dir == "" {
		return p
	}
	return filepath.Join(c.Dir, p)
}
