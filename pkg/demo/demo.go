// Package demo runs the main job end to end on the built-in Iris data: train, sign,
// verify, serve on loopback, issue a token and predict over HTTP.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/forest"
	"github.com/mlops-dev/mlops/pkg/model"
	"github.com/mlops-dev/mlops/pkg/ratelimit"
	"github.com/mlops-dev/mlops/pkg/registry"
	"github.com/mlops-dev/mlops/pkg/server"
	"github.com/mlops-dev/mlops/pkg/training"
	"github.com/mlops-dev/mlops/pkg/ui"
)

// Options configures a demo run.
type Options struct {
	// Dir is the project folder that receives keys/ and models/.
	Dir string
	// Addr is the loopback address to serve on; when it is taken, a free port is used.
	Addr string
	// Once stops the server after the demo prediction instead of serving until ctx ends.
	Once         bool
	MLOpsVersion string
}

// sample is one Iris flower (a versicolor) sent as the demo prediction.
var sample = []float64{6.1, 2.8, 4.7, 1.2}

// Run trains and registers a model in opts.Dir, serves it, predicts over HTTP and
// prints each step to s.
func Run(ctx context.Context, s *ui.Streams, opts Options) error {
	reg, key, pub, err := openProject(s, opts.Dir)
	if err != nil {
		return err
	}

	params := forest.DefaultParams()
	params.Seed = 42
	progress := s.NewProgress("training", params.Trees)
	res, err := training.Run(ctx, training.Options{
		Params: params, TestSize: 0.2, CVFolds: 5, ModelName: "iris",
		Registry: reg, Key: key, MLOpsVersion: opts.MLOpsVersion, Progress: progress.Set,
	})
	if err != nil {
		return err
	}
	progress.Done(fmt.Sprintf("1. trained iris:v%d on the built-in Iris data and signed it", res.Version))
	if err := training.Render(s, res); err != nil {
		return err
	}

	m, err := model.Load(reg, registry.Ref{Name: "iris", Version: res.Version}, pub)
	if err != nil {
		return err
	}
	s.Statusf("2. verified iris:v%d: signature and every digest (manifest sha256 %s)", m.Version, m.Digest)
	return serveAndPredict(ctx, s, opts, reg, pub, res.Version)
}

func openProject(s *ui.Streams, dir string) (*registry.Registry, []byte, []byte, error) {
	privPath := filepath.Join(dir, "keys", "signing.key")
	pubPath := filepath.Join(dir, "keys", "signing.pub")
	if _, err := os.Stat(privPath); errors.Is(err, os.ErrNotExist) {
		if err := registry.GenerateKeyPair(privPath, pubPath); err != nil {
			return nil, nil, nil, err
		}
		s.Statusf("generated the model signing key pair in %s", filepath.Dir(privPath))
	}
	key, err := registry.LoadPrivateKey(privPath)
	if err != nil {
		return nil, nil, nil, err
	}
	pub, err := registry.LoadPublicKey(pubPath)
	if err != nil {
		return nil, nil, nil, err
	}
	return registry.Open(filepath.Join(dir, "models")), key, pub, nil
}

func serveAndPredict(ctx context.Context, s *ui.Streams, opts Options, reg *registry.Registry, pub []byte, version int) error {
	secret, err := randomSecret()
	if err != nil {
		return err
	}
	authCfg := auth.Config{
		Algorithm: auth.AlgHS256, Issuer: "mlops", Audience: "mlops-api",
		Keys: []auth.Key{{Secret: []byte(secret)}}, Leeway: 30 * time.Second, MaxTTL: 24 * time.Hour,
	}
	verifier, err := auth.NewVerifier(authCfg)
	if err != nil {
		return err
	}
	issuer, err := auth.NewIssuer(authCfg)
	if err != nil {
		return err
	}
	srv, err := server.New(server.Options{
		Registry: reg, Ref: registry.Ref{Name: "iris", Version: version}, PublicKey: pub,
		Verifier: verifier, Limiter: ratelimit.NewMemory(), Version: opts.MLOpsVersion,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return err
	}
	ln, err := listen(opts.Addr)
	if err != nil {
		return err
	}
	baseURL := "http://" + ln.Addr().String()

	serveCtx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(serveCtx, ln, nil) }()
	s.Statusf("3. serving iris:v%d at %s (in-memory rate limiter, no Docker, no Redis)", version, baseURL)

	token, claims, err := issuer.Issue("demo", []string{auth.RolePredict, auth.RoleRead}, time.Hour)
	if err != nil {
		return err
	}
	s.Statusf("4. issued a token for subject %q with roles predict, read, valid until %s",
		claims.Subject, claims.ExpiresAt.Local().Format("2006-01-02 15:04 MST"))

	if err := predictOnce(ctx, s, baseURL, token); err != nil {
		return err
	}
	if opts.Once {
		stop()
		return <-served
	}

	printCurl(s, baseURL, token)
	s.Statusf("serving until Ctrl-C")
	err = <-served
	s.Statusf("stopped serving; the model stays in %s", filepath.Join(opts.Dir, "models"))
	return err
}

func predictOnce(ctx context.Context, s *ui.Streams, baseURL, token string) error {
	client, err := api.NewClient(baseURL, nil)
	if err != nil {
		return err
	}
	client.Token = token
	resp, err := client.Predict(ctx, api.Features{Values: sample})
	if err != nil {
		return fmt.Errorf("demo prediction: %w", err)
	}
	s.Statusf("5. POST /predict %v -> %s (request id %s)", sample, resp.Class, resp.RequestID)

	t := &ui.Table{Title: "Prediction", Headers: []string{"CLASS", "PROBABILITY"}}
	classes := make([]string, 0, len(resp.Probabilities))
	for c := range resp.Probabilities {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	for _, c := range classes {
		t.AddRow(c, fmt.Sprintf("%.2f", resp.Probabilities[c]))
	}
	s.Render(t)
	return nil
}

func printCurl(s *ui.Streams, baseURL, token string) {
	values := make([]string, len(sample))
	for i, v := range sample {
		values[i] = fmt.Sprint(v)
	}
	fmt.Fprintf(s.Out, "\nTry it yourself while the demo serves:\n"+
		"  curl -s -H 'Authorization: Bearer %s' \\\n"+
		"    -H 'Content-Type: application/json' -d '{\"features\":[%s]}' %s/predict\n",
		token, strings.Join(values, ","), baseURL)
}

// listen binds addr, or a free loopback port when addr is taken.
func listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	ln, err2 := net.Listen("tcp", "127.0.0.1:0")
	if err2 != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

func randomSecret() (string, error) {
	b := make([]byte, 48)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate demo token secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
