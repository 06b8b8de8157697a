package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/config"
	"github.com/mlops-dev/mlops/pkg/monitor"
	"github.com/mlops-dev/mlops/pkg/ratelimit"
	"github.com/mlops-dev/mlops/pkg/registry"
)

// OptionsFromConfig assembles server Options from the settings. They include the
// registry and its public key, the token verifier, and the issuer and client file
// when the signing key is at hand. The limiter is Redis with the in-memory fallback
// when redis.addr is set, else in-memory only. modelRef overrides models.name and
// models.alias when not empty. The returned close function releases the Redis client.
func OptionsFromConfig(cfg *config.Config, modelRef string, logger *slog.Logger) (Options, func(), error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts := Options{
		Addr: cfg.Serve.Addr, MetricsAddr: cfg.Serve.MetricsAddr,
		TLSCert: cfg.Path(cfg.Serve.TLSCert), TLSKey: cfg.Path(cfg.Serve.TLSKey),
		MaxBatch: cfg.Serve.MaxBatch, MaxBodyBytes: cfg.Serve.MaxBodyBytes,
		Registry: registry.Open(cfg.Path(cfg.Models.Dir)), WatchInterval: cfg.Serve.WatchInterval,
		Logger: logger, DrainDelay: cfg.Serve.DrainDelay,
		Monitor: monitor.Config{
			MaxPredictions: cfg.Monitor.MaxPredictions, MaxAge: cfg.Monitor.MaxAge,
			AccuracyWindow: cfg.Monitor.AccuracyWindow,
		},
		Drift: monitor.DriftConfig{
			Window: cfg.Monitor.DriftWindow, MinSamples: cfg.Monitor.DriftMinSamples,
			Threshold: cfg.Monitor.DriftPSIThreshold,
		},
	}
	noop := func() {}

	if cfg.Serve.ServedBy {
		host, err := os.Hostname()
		if err != nil {
			return opts, noop, fmt.Errorf("serve.served_by: %w", err)
		}
		opts.ServedBy = host
	}
	for _, entry := range cfg.Serve.TrustedProxies {
		prefix, err := parseProxy(entry)
		if err != nil {
			return opts, noop, err
		}
		opts.TrustedProxies = append(opts.TrustedProxies, prefix)
	}
	ref, err := modelRefFrom(cfg, modelRef)
	if err != nil {
		return opts, noop, err
	}
	opts.Ref = ref
	if opts.PublicKey, err = registry.LoadPublicKey(cfg.Path(cfg.Keys.Public)); err != nil {
		return opts, noop, fmt.Errorf("keys.public: %w", err)
	}
	if err := tokenOptions(&opts, cfg); err != nil {
		return opts, noop, err
	}

	opts.Rules = map[string]ratelimit.Rule{}
	for role, r := range cfg.RateLimits {
		opts.Rules[role] = ratelimit.Rule{Limit: r.Limit, Period: r.Period, Burst: r.Burst}
	}
	if cfg.Redis.Addr == "" {
		opts.Limiter = ratelimit.NewMemory()
		return opts, noop, nil
	}
	// go-redis prints its pool errors with the standard logger. They go into the JSON
	// log at debug level, because the fallback limiter already logs the outage once.
	redis.SetLogger(redisLogger{logger})
	client := redis.NewClient(&redis.Options{
		Addr: cfg.Redis.Addr, Password: cfg.Redis.Password,
		DialTimeout: cfg.Redis.Timeout * 4, ReadTimeout: cfg.Redis.Timeout, WriteTimeout: cfg.Redis.Timeout,
		MaxRetries: -1,
	})
	fallback := ratelimit.NewFallback(ratelimit.NewRedis(client, "mlops:rl:"), ratelimit.NewMemory(), logger)
	fallback.SetTimeout(cfg.Redis.Timeout)
	opts.Limiter = fallback
	return opts, func() { _ = client.Close() }, nil
}

func modelRefFrom(cfg *config.Config, override string) (registry.Ref, error) {
	if override != "" {
		ref, err := registry.ParseRef(override)
		if err != nil {
			return ref, fmt.Errorf("--model: %w", err)
		}
		return ref, nil
	}
	ref := registry.Ref{Name: cfg.Models.Name}
	// The production alias is what Resolve uses by default, falling back to the newest
	// version while no version has been promoted yet.
	if cfg.Models.Alias != "" && cfg.Models.Alias != registry.ProductionAlias {
		ref.Alias = cfg.Models.Alias
	}
	return ref, nil
}

// tokenOptions sets the verifier, and the issuer and clients that POST /token needs.
func tokenOptions(opts *Options, cfg *config.Config) error {
	authCfg, err := auth.ConfigFrom(cfg.Auth, cfg.Dir)
	if err != nil {
		return err
	}
	if authCfg.Algorithm == auth.AlgHS256 {
		if err := auth.ValidateSecret([]byte(cfg.Auth.Secret)); err != nil {
			return fmt.Errorf("auth.secret: %w", err)
		}
	}
	if opts.Verifier, err = auth.NewVerifier(authCfg); err != nil {
		return err
	}

	// POST /token needs the signing key. The client file may be missing or empty at
	// start: the store rereads it when it changes, so clients added later can log in.
	canSign := authCfg.Algorithm == auth.AlgHS256 || authCfg.Keys[0].PrivateKey != nil
	if !canSign {
		opts.Logger.Info("POST /token is off: the token algorithm's private key is not configured",
			"algorithm", authCfg.Algorithm)
		return nil
	}
	if opts.Issuer, err = auth.NewIssuer(authCfg); err != nil {
		return err
	}
	opts.Clients, err = auth.OpenClients(cfg.Path(cfg.Serve.ClientsFile))
	if errors.Is(err, fs.ErrPermission) {
		// A stack started by root runs the api as user 65532, which cannot read root's
		// 0600 client file. Offline tokens from 'mlops token' still work.
		opts.Logger.Warn("POST /token is off: the client file is not readable by this user",
			"file", cfg.Serve.ClientsFile, "error", err.Error())
		opts.Issuer = nil
		return nil
	}
	if err != nil {
		return fmt.Errorf("serve.clients_file: %w", err)
	}
	return nil
}

// redisLogger adapts go-redis's internal logging to slog.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, args ...any) {
	l.log.DebugContext(ctx, "redis client", "message", fmt.Sprintf(format, args...))
}

// parseProxy reads one serve.trusted_proxies entry: an address or a CIDR range.
func parseProxy(entry string) (netip.Prefix, error) {
	entry = strings.TrimSpace(entry)
	if prefix, err := netip.ParsePrefix(entry); err == nil {
		return prefix.Masked(), nil
	}
	addr, err := netip.ParseAddr(entry)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("serve.trusted_proxies: %q is neither an IP address nor a CIDR range", entry)
	}
	return netip.PrefixFrom(addr, addr.BitLen()), nil
}
