package doctor

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/client/clienttest"
	"github.com/mlops-dev/mlops/pkg/ui"
)

func TestRun_TimeoutAndOrder(t *testing.T) {
	env, _ := apiEnv(t, clienttest.Options{Plain: true})
	release := make(chan struct{})
	defer close(release)
	checks := []Check{
		{"hangs", func(ctx context.Context, env *Env) Result { <-release; return pass("never") }},
		{"quick", func(ctx context.Context, env *Env) Result { return pass("fine") }},
	}
	start := time.Now()
	results := Run(context.Background(), env, checks, 100*time.Millisecond)
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Run took %s with a 100ms timeout", elapsed)
	}
	want(t, results[0], StatusFail, "did not finish within 100ms", "longer --timeout")
	want(t, results[1], StatusPass, "fine", "")
	if results[0].Name != "hangs" || results[1].Name != "quick" {
		t.Errorf("names = %q, %q, want the order of the checks", results[0].Name, results[1].Name)
	}
}

func TestRender(t *testing.T) {
	results := []Result{
		{Name: "config", Status: StatusPass, Detail: "mlops.yaml loads"},
		{Name: "redis", Status: StatusFail, Detail: "Redis at 127.0.0.1:6379 is unreachable", Fix: "start Redis"},
	}
	s, out, errOut := ui.Test()
	if err := Render(s, results); err != nil {
		t.Fatal(err)
	}
	wantOut := "pass  config  mlops.yaml loads\n" +
		"fail  redis   Redis at 127.0.0.1:6379 is unreachable\n" +
		"              fix: start Redis\n"
	if out.String() != wantOut {
		t.Errorf("output:\n%s\nwant:\n%s", out, wantOut)
	}
	if !strings.Contains(errOut.String(), "1 passed, 0 warned, 1 failed, 0 skipped") {
		t.Errorf("stderr = %q, want the summary", errOut)
	}

	s, out, _ = ui.Test()
	s.JSON = true
	if err := Render(s, results); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Checks  []Result `json:"checks"`
		Summary Summary  `json:"summary"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("decode %q: %v", out, err)
	}
	if len(got.Checks) != 2 || got.Checks[1].Fix != "start Redis" || got.Summary.Fail != 1 {
		t.Errorf("json = %+v, want both checks and one failure", got)
	}
}

// TestRun_HealthyAPI runs every check against a working HTTPS API: none
// may fail.
func TestRun_HealthyAPI(t *testing.T) {
	env, _ := apiEnv(t, clienttest.Options{})
	for _, r := range Run(context.Background(), env, Checks(), 10*time.Second) {
		if r.Status == StatusFail {
			t.Errorf("%s failed: %s (fix: %s)", r.Name, r.Detail, r.Fix)
		}
	}
}
