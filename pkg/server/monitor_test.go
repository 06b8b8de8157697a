package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/dataset"
	"github.com/mlops-dev/mlops/pkg/monitor"
	"github.com/mlops-dev/mlops/pkg/ratelimit"
	"github.com/mlops-dev/mlops/templates"
)

// scrape returns every sample of GET /metrics keyed by its series, for
// example `mlops_live_accuracy{version="1"}`.
func (f *fixture) scrape() map[string]float64 {
	f.t.Helper()
	res := f.do("GET", "/metrics", "", "")
	if res.status != http.StatusOK {
		f.t.Fatalf("GET /metrics: status %d", res.status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(res.body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			f.t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func (f *fixture) predictOne(token string, row []float64) api.PredictResponse {
	f.t.Helper()
	body, _ := json.Marshal(api.PredictRequest{Features: api.Features{Values: row}})
	res := f.do("POST", "/predict", token, string(body))
	if res.status != http.StatusOK {
		f.t.Fatalf("POST /predict: status %d: %s", res.status, res.body)
	}
	return decodeJSON[api.PredictResponse](f.t, res.body)
}

func (f *fixture) predictBatch(token string, rows [][]float64) api.BatchResponse {
	f.t.Helper()
	instances := make([]api.Features, len(rows))
	for i, r := range rows {
		instances[i] = api.Features{Values: r}
	}
	body, _ := json.Marshal(api.BatchRequest{Instances: instances})
	res := f.do("POST", "/predict/batch", token, string(body))
	if res.status != http.StatusOK {
		f.t.Fatalf("POST /predict/batch: status %d: %s", res.status, res.body)
	}
	return decodeJSON[api.BatchResponse](f.t, res.body)
}

func (f *fixture) feedback(token, requestID string, row int, label string) result {
	f.t.Helper()
	body, _ := json.Marshal(api.FeedbackRequest{RequestID: requestID, Row: row, Label: label})
	return f.do("POST", "/feedback", token, string(body))
}

// otherClass returns a class of the Iris model other than class.
func otherClass(class string) string {
	if class == "setosa" {
		return "virginica"
	}
	return "setosa"
}

func TestFeedback_LiveAccuracyFalls(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Monitor.AccuracyWindow = 40 })
	predict := f.token("app", auth.RolePredict)
	labeller := f.token("labeller", auth.RoleFeedback)
	iris := dataset.Iris()

	send := func(n int, correct bool) {
		t.Helper()
		for i := range n {
			p := f.predictOne(predict, iris.X[(i*7)%len(iris.X)])
			label := p.Class
			if !correct {
				label = otherClass(p.Class)
			}
			res := f.feedback(labeller, p.RequestID, 0, label)
			if res.status != http.StatusOK {
				t.Fatalf("POST /feedback: status %d: %s", res.status, res.body)
			}
			fb := decodeJSON[api.FeedbackResponse](t, res.body)
			if fb.Correct != correct || fb.ModelVersion != 1 || fb.Predicted != p.Class || fb.Repeated {
				t.Fatalf("POST /feedback = %+v, want correct=%v for version 1, predicted %s", fb, correct, p.Class)
			}
		}
	}
	accuracy := func() (float64, float64) {
		m := f.scrape()
		return m[`mlops_live_accuracy{version="1"}`], m[`mlops_live_accuracy_labels{version="1"}`]
	}

	send(40, true)
	if acc, n := accuracy(); acc != 1 || n != 40 {
		t.Errorf("after 40 correct labels: live accuracy %g over %g labels, want 1 over 40", acc, n)
	}
	send(20, false)
	if acc, n := accuracy(); acc != 0.5 || n != 40 {
		t.Errorf("after 20 wrong labels: live accuracy %g over %g labels, want 0.5 over 40", acc, n)
	}
	send(20, false)
	if acc, _ := accuracy(); acc != 0 {
		t.Errorf("after 40 wrong labels: live accuracy %g, want 0", acc)
	}
	if got := f.scrape()[`mlops_feedback_total{result="labelled"}`]; got != 80 {
		t.Errorf(`mlops_feedback_total{result="labelled"} = %g, want 80`, got)
	}
}

func TestFeedback_Errors(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Monitor.MaxPredictions = 3 })
	predict := f.token("app", auth.RolePredict)
	labeller := f.token("labeller", auth.RoleFeedback)
	iris := dataset.Iris()

	evictedID := f.predictOne(predict, iris.X[0]).RequestID
	f.predictOne(predict, iris.X[0])
	// The store holds 3 predictions, so the batch pushes out both singles.
	batch := f.predictBatch(predict, [][]float64{iris.X[0], iris.X[60], iris.X[120]})

	tests := []struct {
		name   string
		token  string
		body   string
		status int
		code   string
	}{
		{"no token", "", `{"request_id":"x","label":"setosa"}`, http.StatusUnauthorized, auth.CodeTokenMissing},
		{"predict role only", predict, `{"request_id":"x","label":"setosa"}`, http.StatusForbidden, auth.CodeRoleMissing},
		{"unknown request id", labeller, `{"request_id":"never-made","label":"setosa"}`, http.StatusNotFound, CodeUnknownRequestID},
		{"evicted prediction", labeller, fmt.Sprintf(`{"request_id":%q,"label":"setosa"}`, evictedID), http.StatusGone, CodePredictionExpired},
		{"row beyond the batch", labeller, fmt.Sprintf(`{"request_id":%q,"row":3,"label":"setosa"}`, batch.RequestID), http.StatusNotFound, CodeUnknownRequestID},
		{"unknown label", labeller, fmt.Sprintf(`{"request_id":%q,"label":"rose"}`, batch.RequestID), http.StatusBadRequest, CodeUnknownLabel},
		{"missing label", labeller, fmt.Sprintf(`{"request_id":%q}`, batch.RequestID), http.StatusBadRequest, CodeMissingField},
		{"missing request id", labeller, `{"label":"setosa"}`, http.StatusBadRequest, CodeMissingField},
		{"negative row", labeller, fmt.Sprintf(`{"request_id":%q,"row":-1,"label":"setosa"}`, batch.RequestID), http.StatusBadRequest, CodeInvalidValue},
		{"unknown field", labeller, fmt.Sprintf(`{"request_id":%q,"label":"setosa","extra":1}`, batch.RequestID), http.StatusBadRequest, CodeUnknownField},
		{"duplicate key", labeller, fmt.Sprintf(`{"request_id":%q,"label":"setosa","label":"virginica"}`, batch.RequestID), http.StatusBadRequest, CodeDuplicateKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.do("POST", "/feedback", tt.token, tt.body)
			if res.status != tt.status {
				t.Fatalf("POST /feedback %s: status %d, want %d: %s", tt.body, res.status, tt.status, res.body)
			}
			if e := res.errorBody(t); e.Code != tt.code || e.Message == "" {
				t.Errorf("POST /feedback %s: error %+v, want code %s with a message", tt.body, e, tt.code)
			}
		})
	}

	// Row 2 of the batch: first label, same label again, then another.
	first := f.feedback(labeller, batch.RequestID, 2, "virginica")
	again := f.feedback(labeller, batch.RequestID, 2, "virginica")
	other := f.feedback(labeller, batch.RequestID, 2, "setosa")
	if first.status != http.StatusOK || again.status != http.StatusOK {
		t.Fatalf("labelling row 2 twice: statuses %d and %d, want 200: %s %s", first.status, again.status, first.body, again.body)
	}
	if fb := decodeJSON[api.FeedbackResponse](t, again.body); !fb.Repeated || fb.Row != 2 {
		t.Errorf("second identical label = %+v, want repeated for row 2", fb)
	}
	if other.status != http.StatusConflict || other.errorBody(t).Code != CodeAlreadyLabelled {
		t.Errorf("conflicting label: status %d %s, want 409 %s", other.status, other.body, CodeAlreadyLabelled)
	}
	m := f.scrape()
	if got := m[`mlops_live_accuracy_labels{version="1"}`]; got != 1 {
		t.Errorf("labels counted = %g, want 1: repeats must count once", got)
	}
	if got := m["mlops_feedback_late_total"]; got != 1 {
		t.Errorf("mlops_feedback_late_total = %g, want 1", got)
	}
	// The admin role implies feedback.
	if res := f.feedback(f.token("root", auth.RoleAdmin), batch.RequestID, 0, "setosa"); res.status != http.StatusOK {
		t.Errorf("feedback with the admin role: status %d: %s", res.status, res.body)
	}
}

func TestFeedback_V2InferByHeaderID(t *testing.T) {
	f := newFixture(t, nil)
	body := `{"inputs":[{"name":"x","shape":[2,4],"datatype":"FP64","data":[5.1,3.5,1.4,0.2,6.7,3.0,5.2,2.3]}]}`
	res := f.do("POST", "/v2/models/iris/infer", f.token("app", auth.RolePredict), body)
	if res.status != http.StatusOK {
		t.Fatalf("v2 infer: status %d: %s", res.status, res.body)
	}
	id := res.header.Get("X-Request-ID")
	fb := f.feedback(f.token("labeller", auth.RoleFeedback), id, 1, "virginica")
	if fb.status != http.StatusOK {
		t.Fatalf("feedback for v2 row 1 with X-Request-ID %s: status %d: %s", id, fb.status, fb.body)
	}
	if got := decodeJSON[api.FeedbackResponse](t, fb.body); got.Predicted != "virginica" || !got.Correct {
		t.Errorf("feedback for v2 row 1 = %+v, want virginica predicted and correct", got)
	}
}

func TestDrift_ShiftedFeatureFlagged(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Drift = monitor.DriftConfig{Window: 300, MinSamples: 150} })
	predict := f.token("app", auth.RolePredict)
	reader := f.token("viewer", auth.RoleRead)
	iris := dataset.Iris()

	drift := func() api.DriftResponse {
		t.Helper()
		res := f.do("GET", "/drift", reader, "")
		if res.status != http.StatusOK {
			t.Fatalf("GET /drift: status %d: %s", res.status, res.body)
		}
		return decodeJSON[api.DriftResponse](t, res.body)
	}
	if d := drift(); d.Ready || d.Samples != 0 || d.Drifted != 0 || len(d.Features) != 4 {
		t.Errorf("GET /drift before predictions = %+v, want 4 features, not ready, nothing drifted", d)
	}

	// Twice the training rows in order: the training distribution.
	f.predictBatch(predict, iris.X)
	f.predictBatch(predict, iris.X)
	d := drift()
	if !d.Ready || d.Samples != 300 || d.Drifted != 0 {
		t.Errorf("GET /drift after training rows = %+v, want ready with 300 samples and nothing drifted", d)
	}

	// The same rows with petal_length shifted by 2 cm fill the window.
	shifted := make([][]float64, len(iris.X))
	for i, row := range iris.X {
		shifted[i] = append([]float64(nil), row...)
		shifted[i][2] += 2
	}
	f.predictBatch(predict, shifted)
	f.predictBatch(predict, shifted)
	d = drift()
	var drifted []string
	for _, feat := range d.Features {
		if feat.Drifted {
			drifted = append(drifted, feat.Name)
		}
	}
	if len(drifted) != 1 || drifted[0] != "petal_length" || d.Drifted != 1 {
		t.Errorf("GET /drift after shifting petal_length: drifted %v (count %d), want [petal_length]; %+v", drifted, d.Drifted, d)
	}

	info := decodeJSON[api.ModelInfo](t, f.do("GET", "/model/info", reader, "").body)
	if info.Drift == nil || !info.Drift.Drifted || len(info.Drift.DriftedFeatures) != 1 || info.Drift.DriftedFeatures[0] != "petal_length" {
		t.Errorf("GET /model/info drift = %+v, want drifted with [petal_length]", info.Drift)
	}
	m := f.scrape()
	if got := m["mlops_drifted_features"]; got != 1 {
		t.Errorf("mlops_drifted_features = %g, want 1", got)
	}
	if got := m[`mlops_feature_drift_psi{feature="petal_length"}`]; got <= monitor.DefaultDriftThreshold {
		t.Errorf(`mlops_feature_drift_psi{feature="petal_length"} = %g, want above %g`, got, monitor.DefaultDriftThreshold)
	}
	if res := f.do("GET", "/drift", predict, ""); res.status != http.StatusForbidden {
		t.Errorf("GET /drift with the predict role: status %d, want 403", res.status)
	}
}

func TestDrift_ResetsOnReload(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Drift = monitor.DriftConfig{Window: 150, MinSamples: 100} })
	f.predictBatch(f.token("app", auth.RolePredict), dataset.Iris().X)
	f.publish(2)
	if res := f.do("POST", "/admin/reload", f.token("root", auth.RoleAdmin), ""); res.status != http.StatusOK {
		t.Fatalf("POST /admin/reload: status %d: %s", res.status, res.body)
	}
	d := decodeJSON[api.DriftResponse](t, f.do("GET", "/drift", f.token("viewer", auth.RoleRead), "").body)
	if d.Model.Version != 2 || d.Samples != 0 {
		t.Errorf("GET /drift after reload = version %d with %d samples, want version 2 with 0", d.Model.Version, d.Samples)
	}
}

// TestTemplates_MetricNamesExported checks that every mlops_* metric that
// the scaffolded alert rules and Grafana dashboard query is one this
// server exports, after traffic that makes each series appear.
func TestTemplates_MetricNamesExported(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.Rules = DefaultRules()
		o.Rules[auth.RoleRead] = ratelimit.Rule{Limit: 1, Period: time.Hour, Burst: 1}
	})
	p := f.predictOne(f.token("app", auth.RolePredict), []float64{5.1, 3.5, 1.4, 100}) // out of distribution
	f.feedback(f.token("labeller", auth.RoleFeedback), p.RequestID, 0, p.Class)
	f.do("POST", "/admin/reload", f.token("root", auth.RoleAdmin), "")
	f.do("GET", "/model/info", "", "") // 401
	reader := f.token("viewer", auth.RoleRead)
	f.do("GET", "/model/info", reader, "")
	f.do("GET", "/model/info", reader, "") // 429

	exported := map[string]bool{}
	for series := range f.scrape() {
		name, _, _ := strings.Cut(series, "{")
		exported[name] = true
	}
	metricName := regexp.MustCompile(`\bmlops_[a-z0-9_]+`)
	checked := map[string]bool{}
	for _, file := range []string{"project/monitoring/alerts.yml", "project/monitoring/alerts_test.yml",
		"project/monitoring/grafana/dashboards/mlops.json"} {
		data, err := fs.ReadFile(templates.FS, file)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range metricName.FindAllString(string(data), -1) {
			checked[name] = true
			if !exported[name] {
				t.Errorf("%s queries %s, which GET /metrics does not export", file, name)
			}
		}
	}
	if len(checked) < 10 {
		t.Errorf("found only %d metric names in the templates: %v; is the pattern right?", len(checked), checked)
	}
}

// TestMonitor_ConcurrentWithReload predicts, labels and scrapes from
// several goroutines while the model reloads; run it with -race.
func TestMonitor_ConcurrentWithReload(t *testing.T) {
	f := newFixture(t, nil)
	f.publish(2)
	predict := f.token("app", auth.RolePredict)
	labeller := f.token("labeller", auth.RoleFeedback)
	admin := f.token("root", auth.RoleAdmin)
	iris := dataset.Iris()

	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			// No t.Fatal here: it must not run outside the test goroutine.
			for i := range 20 {
				row, _ := json.Marshal(api.PredictRequest{Features: api.Features{Values: iris.X[(g*20+i)%len(iris.X)]}})
				res := f.do("POST", "/predict", predict, string(row))
				var p api.PredictResponse
				if err := json.Unmarshal(res.body, &p); res.status != http.StatusOK || err != nil {
					t.Errorf("POST /predict: status %d: %s", res.status, res.body)
					return
				}
				if res := f.feedback(labeller, p.RequestID, 0, p.Class); res.status != http.StatusOK {
					t.Errorf("POST /feedback: status %d: %s", res.status, res.body)
				}
			}
		})
	}
	wg.Go(func() {
		f.do("POST", "/admin/reload", admin, "")
		f.scrape()
		f.do("GET", "/drift", admin, "")
	})
	wg.Wait()

	m := f.scrape()
	total := m[`mlops_live_accuracy_labels{version="1"}`] + m[`mlops_live_accuracy_labels{version="2"}`]
	if total != 80 {
		t.Errorf("labels over versions 1 and 2 = %g, want 80", total)
	}
}
