package cmd

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mlops-dev/mlops/pkg/api"
)

func TestDriftCmd_TableAndJSON(t *testing.T) {
	dir, _ := apiProject(t)
	code, stdout, stderr := runCLI(t, dir, "drift")
	if code != ExitOK {
		t.Fatalf("mlops drift: exit code %d, stderr: %s", code, stderr)
	}
	for _, want := range []string{"FEATURE", "petal_length", "threshold PSI 0.2"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("mlops drift stdout = %q, want it to contain %q", stdout, want)
		}
	}
	if !strings.Contains(stderr, "not enough inputs yet") {
		t.Errorf("mlops drift stderr = %q, want the not-enough-inputs note", stderr)
	}

	code, stdout, stderr = runCLI(t, dir, "drift", "--output", "json")
	if code != ExitOK {
		t.Fatalf("mlops drift --output json: exit code %d, stderr: %s", code, stderr)
	}
	var d api.DriftResponse
	if err := json.Unmarshal([]byte(stdout), &d); err != nil {
		t.Fatalf("decode %q: %v", stdout, err)
	}
	if len(d.Features) != 4 || d.Ready || d.Threshold != 0.2 {
		t.Errorf("mlops drift --output json = %+v, want 4 features, not ready, threshold 0.2", d)
	}
}

func TestFeedbackCmd_LabelsPrediction(t *testing.T) {
	dir, _ := apiProject(t)
	code, stdout, stderr := runCLI(t, dir, "predict", "--output", "json", "6.7", "3.0", "5.2", "2.3")
	if code != ExitOK {
		t.Fatalf("mlops predict: exit code %d, stderr: %s", code, stderr)
	}
	var p api.PredictResponse
	if err := json.Unmarshal([]byte(stdout), &p); err != nil || p.RequestID == "" {
		t.Fatalf("decode predict output %q: %v (request_id %q)", stdout, err, p.RequestID)
	}

	code, stdout, stderr = runCLI(t, dir, "feedback", "--request-id", p.RequestID, "--output", "json", p.Class)
	if code != ExitOK {
		t.Fatalf("mlops feedback: exit code %d, stderr: %s", code, stderr)
	}
	var fb api.FeedbackResponse
	if err := json.Unmarshal([]byte(stdout), &fb); err != nil {
		t.Fatalf("decode feedback output %q: %v", stdout, err)
	}
	if !fb.Correct || fb.Label != p.Class || fb.RequestID != p.RequestID || fb.Repeated {
		t.Errorf("mlops feedback = %+v, want a correct first label %s for %s", fb, p.Class, p.RequestID)
	}

	code, stdout, stderr = runCLI(t, dir, "feedback", "--request-id", p.RequestID, p.Class)
	if code != ExitOK || !strings.Contains(stdout, "correct") || !strings.Contains(stderr, "counted once") {
		t.Errorf("repeated mlops feedback: exit %d, stdout %q, stderr %q; want a table and the counted-once note", code, stdout, stderr)
	}

	// The predict flags send the same request: a third identical label.
	code, stdout, stderr = runCLI(t, dir, "predict", "--feedback", p.Class, "--request-id", p.RequestID, "--output", "json")
	if code != ExitOK {
		t.Fatalf("mlops predict --feedback: exit code %d, stderr: %s", code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &fb); err != nil || !fb.Repeated || !fb.Correct {
		t.Errorf("mlops predict --feedback = %+v (%v), want the repeated correct label", fb, err)
	}
}

func TestPredictCmd_FeedbackErrors(t *testing.T) {
	dir, _ := apiProject(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no request id", []string{"predict", "--feedback", "setosa"}, "missing --request-id"},
		{"no label", []string{"predict", "--request-id", "x"}, "--feedback LABEL"},
		{"with features", []string{"predict", "--feedback", "setosa", "--request-id", "x", "1", "2", "3", "4"}, "give no feature values"},
		{"negative row", []string{"predict", "--feedback", "setosa", "--request-id", "x", "--row", "-1"}, "--row: -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, dir, tt.args...)
			if code != ExitUsage {
				t.Errorf("exit code = %d, want %d; stderr: %s", code, ExitUsage, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.want)
			}
		})
	}
}

func TestFeedbackCmd_Errors(t *testing.T) {
	dir, _ := apiProject(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no request id", []string{"feedback", "setosa"}, ExitUsage, "--request-id: missing"},
		{"no label", []string{"feedback", "--request-id", "x"}, ExitUsage, "LABEL"},
		{"negative row", []string{"feedback", "--request-id", "x", "--row", "-2", "setosa"}, ExitUsage, "--row: -2"},
		{"unknown request id", []string{"feedback", "--request-id", "never-made", "setosa"}, ExitError, "unknown request id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, dir, tt.args...)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.want)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want empty on error", stdout)
			}
		})
	}
}
