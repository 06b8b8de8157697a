package scaffold

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// TestAlerts_Promtool runs Debian's promtool on the written alerting rules:
// `check rules` for syntax and `test rules` for the unit file, which feeds
// synthetic series to every alert.
func TestAlerts_Promtool(t *testing.T) {
	promtool := lookTool(t, "promtool")
	dir, _ := initProject(t, Options{})
	monitoring := filepath.Join(dir, "monitoring")

	out, err := exec.Command(promtool, "check", "rules", filepath.Join(monitoring, "alerts.yml")).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	cmd := exec.Command(promtool, "test", "rules", "alerts_test.yml")
	cmd.Dir = monitoring
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}

// TestAlerts_EveryRuleTested checks that the unit file covers every alert
// in the rules file, so a new rule cannot ship without a test.
func TestAlerts_EveryRuleTested(t *testing.T) {
	dir, _ := initProject(t, Options{})
	rules := readYAML(t, dir, "monitoring/alerts.yml")
	tests := readYAML(t, dir, "monitoring/alerts_test.yml")

	var alerts []string
	groups, _ := rules["groups"].([]any)
	for _, g := range groups {
		list, _ := dig(g, "rules").([]any)
		for _, r := range list {
			if name, ok := dig(r, "alert").(string); ok {
				alerts = append(alerts, name)
			}
		}
	}
	want := []string{"MLOpsAPIDown", "MLOpsHighErrorRate", "MLOpsHighLatencyP99", "MLOpsLiveAccuracyLow",
		"MLOpsFeatureDrift", "MLOpsModelVerificationFailed", "MLOpsRateLimitSpike", "MLOpsRedisFallbackActive"}
	for _, name := range want {
		if !slices.Contains(alerts, name) {
			t.Errorf("alerts.yml has no alert %s; alerts: %v", name, alerts)
		}
	}

	fired := map[string]bool{}
	list, _ := tests["tests"].([]any)
	for _, tc := range list {
		checks, _ := dig(tc, "alert_rule_test").([]any)
		for _, c := range checks {
			exp, _ := dig(c, "exp_alerts").([]any)
			if len(exp) > 0 {
				fired[dig(c, "alertname").(string)] = true
			}
		}
	}
	for _, name := range alerts {
		if !fired[name] {
			t.Errorf("alerts_test.yml never expects %s to fire", name)
		}
	}
}

// TestAlerts_NotWrittenWithoutPrometheus checks that the rules go with
// the prometheus service.
func TestAlerts_NotWrittenWithoutPrometheus(t *testing.T) {
	dir, _ := initProject(t, Options{Services: []string{"traefik", "api", "redis"}})
	for _, name := range []string{"alerts.yml", "alerts_test.yml"} {
		if _, err := os.Stat(filepath.Join(dir, "monitoring", name)); !os.IsNotExist(err) {
			t.Errorf("monitoring/%s without prometheus: stat error = %v, want not exist", name, err)
		}
	}
}
