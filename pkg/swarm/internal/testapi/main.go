// Command testapi runs the real inference server (pkg/server with the Redis
// limiter) for the swarm tests, configured from the environment and with an
// X-Served-By header naming the container. The swarm tests put it in a
// FROM scratch image in place of mlops, so they do not depend on the CLI.
//
//	testapi serve    listens on :8080
//	testapi health   exits 0 when GET /health returns 200
//
// Environment: MODELS_DIR, MODEL (a model reference such as iris:v1),
// PUBLIC_KEY, MLOPS_AUTH_SECRET_FILE, REDIS_ADDR,
// MLOPS_REDIS_PASSWORD_FILE and PREDICT_PER_MINUTE.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mlops-dev/mlops/pkg/config"
	"github.com/mlops-dev/mlops/pkg/server"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: testapi serve|health")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve()
	case "health":
		err = health()
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "testapi:", err)
		os.Exit(1)
	}
}

func readFile(env string) (string, error) {
	data, err := os.ReadFile(os.Getenv(env))
	if err != nil {
		return "", fmt.Errorf("%s: %w", env, err)
	}
	return strings.TrimSpace(string(data)), nil
}

func settings() (*config.Config, error) {
	secret, err := readFile("MLOPS_AUTH_SECRET_FILE")
	if err != nil {
		return nil, err
	}
	password, err := readFile("MLOPS_REDIS_PASSWORD_FILE")
	if err != nil {
		return nil, err
	}
	perMinute, err := strconv.Atoi(os.Getenv("PREDICT_PER_MINUTE"))
	if err != nil {
		return nil, fmt.Errorf("PREDICT_PER_MINUTE: %w", err)
	}
	return &config.Config{
		Dir:    "/",
		Models: config.ModelsConfig{Dir: os.Getenv("MODELS_DIR"), Name: "iris"},
		Keys:   config.KeysConfig{Public: os.Getenv("PUBLIC_KEY")},
		Serve:  config.ServeConfig{Addr: ":8080", MaxBatch: 100, MaxBodyBytes: 1 << 16},
		Auth: config.AuthConfig{
			Algorithm: "HS256", Secret: secret, Issuer: "mlops", Audience: "mlops-api",
			MaxTTL: time.Hour, Leeway: 30 * time.Second,
		},
		Redis: config.RedisConfig{Addr: os.Getenv("REDIS_ADDR"), Password: password, Timeout: time.Second},
		RateLimits: map[string]config.Rate{
			"predict": {Limit: perMinute, Period: time.Minute},
		},
	}, nil
}

func serve() error {
	cfg, err := settings()
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	opts, closeRedis, err := server.OptionsFromConfig(cfg, os.Getenv("MODEL"), logger)
	if err != nil {
		return err
	}
	defer closeRedis()
	srv, err := server.New(opts)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	hs := &http.Server{Addr: ":8080", Handler: server.ServedBy(srv.Handler(), host), ReadHeaderTimeout: 5 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = hs.Shutdown(shutdown)
	}()
	fmt.Println("testapi listening on :8080 as", host)
	if err := hs.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func health() error {
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://127.0.0.1:8080/health")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /health: status %d", resp.StatusCode)
	}
	return nil
}
