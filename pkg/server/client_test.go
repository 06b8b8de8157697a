package server

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/auth"
)

// TestClient drives the server through pkg/api's client, as the predict
// and doctor commands do.
func TestClient(t *testing.T) {
	f := newFixture(t, nil)
	secret, err := f.clients.Add("cli", []string{auth.RoleAdmin})
	if err != nil {
		t.Fatalf("clients.Add: %v", err)
	}
	ctx := context.Background()
	c, err := api.NewClient(f.ts.URL, f.ts.Client())
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}

	if h, err := c.Health(ctx); err != nil || h.Status != "ok" {
		t.Fatalf("Health = %+v, %v", h, err)
	}
	if r, err := c.Ready(ctx); err != nil || !r.Ready || r.Limiter != "memory" || r.Model.Version != 1 {
		t.Fatalf("Ready = %+v, %v; want ready on memory with v1", r, err)
	}

	_, err = c.Predict(ctx, api.Features{Values: []float64{5.1, 3.5, 1.4, 0.2}})
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 401 || apiErr.Code != auth.CodeTokenMissing || apiErr.RequestID == "" {
		t.Fatalf("Predict without a token: %v, want *api.Error 401 %s with a request id", err, auth.CodeTokenMissing)
	}

	tok, err := c.RequestToken(ctx, "cli", secret)
	if err != nil {
		t.Fatalf("RequestToken: %v", err)
	}
	c.Token = tok.AccessToken

	p, err := c.Predict(ctx, api.Features{Named: map[string]float64{
		"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}})
	if err != nil || p.Class != "setosa" {
		t.Fatalf("Predict = %+v, %v; want setosa", p, err)
	}
	batch, err := c.PredictBatch(ctx, []api.Features{{Values: []float64{5.1, 3.5, 1.4, 0.2}}, {Values: []float64{7.7, 3.0, 6.1, 2.3}}})
	if err != nil || len(batch.Predictions) != 2 || batch.Predictions[1].Class != "virginica" {
		t.Fatalf("PredictBatch = %+v, %v", batch, err)
	}
	info, err := c.ModelInfo(ctx)
	if err != nil || info.Name != "iris" || len(info.Features) != 4 {
		t.Fatalf("ModelInfo = %+v, %v", info, err)
	}
	f.publish(2)
	rel, err := c.Reload(ctx)
	if err != nil || rel.Current.Version != 2 {
		t.Fatalf("Reload = %+v, %v; want version 2", rel, err)
	}

	_, err = c.Predict(ctx, api.Features{Values: []float64{1, 2}})
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest || apiErr.Code != CodeFeatureCount {
		t.Errorf("Predict with 2 values: %v, want 400 %s", err, CodeFeatureCount)
	}
}

func TestClient_ReadyWhileDraining(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.draining.Store(true)
	c, _ := api.NewClient(f.ts.URL, nil)
	r, err := c.Ready(context.Background())
	if err != nil || r.Ready || r.Reason != "shutting down" {
		t.Errorf("Ready while draining = %+v, %v; want not ready, shutting down, no error", r, err)
	}
}

func TestNewClient_RejectsBadURL(t *testing.T) {
	for _, u := range []string{"127.0.0.1:8080", "ftp://host", "http://", "://x"} {
		if _, err := api.NewClient(u, nil); err == nil {
			t.Errorf("NewClient(%q) succeeded, want an error", u)
		}
	}
}
