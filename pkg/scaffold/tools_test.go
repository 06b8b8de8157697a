package scaffold

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestPrometheus_PromtoolCheckConfig(t *testing.T) {
	promtool := lookTool(t, "promtool")
	dir, _ := initProject(t, Options{})
	out, err := exec.Command(promtool, "check", "config", filepath.Join(dir, "monitoring", "prometheus.yml")).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
}

func TestWorkspace_PythonCompiles(t *testing.T) {
	python := lookTool(t, "python3")
	dir, _ := initProject(t, Options{})
	files, err := filepath.Glob(filepath.Join(dir, "workspace", "*.py"))
	if err != nil || len(files) < 2 {
		t.Fatalf("workspace Python files = %v (%v), want connect_api.py and example.py", files, err)
	}
	for _, f := range files {
		cmd := exec.Command(python, "-m", "py_compile", f)
		cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1", "PYTHONPYCACHEPREFIX="+t.TempDir())
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("py_compile %s: %v\n%s", filepath.Base(f), err, out)
		}
	}
}

func TestGrafana_DashboardPanels(t *testing.T) {
	dir, _ := initProject(t, Options{})
	data, err := os.ReadFile(filepath.Join(dir, "monitoring/grafana/dashboards/mlops.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("parse dashboard JSON: %v", err)
	}
	want := []string{"Request rate", "Latency p50 and p99", "Predictions by class",
		"Rate-limited requests", "Auth failures", "Out-of-distribution inputs", "Model version",
		"Live accuracy", "Drift per feature", "Firing alerts"}
	if len(dash.Panels) != len(want) {
		t.Fatalf("dashboard has %d panels, want %d", len(dash.Panels), len(want))
	}
	for i, p := range dash.Panels {
		if p.Title != want[i] {
			t.Errorf("panel %d title = %q, want %q", i, p.Title, want[i])
		}
		if len(p.Targets) == 0 || p.Targets[0].Expr == "" {
			t.Errorf("panel %q has no query", p.Title)
		}
	}
	ds := readYAML(t, dir, "monitoring/grafana/provisioning/datasources/prometheus.yml")
	list, _ := ds["datasources"].([]any)
	if len(list) != 1 || dig(list[0], "url") != "http://prometheus:9090" || dig(list[0], "uid") != "prometheus" {
		t.Errorf("datasources = %v, want the prometheus service with uid prometheus", list)
	}
}
