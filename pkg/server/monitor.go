package server

import (
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/monitor"
)

// modelMonitor pairs feedback with predictions for every recent model
// version and tracks input drift of the model being served.
type modelMonitor struct {
	predictions *monitor.Predictions
	driftConfig monitor.DriftConfig
	// drift belongs to one loaded model. The first request or scrape that
	// uses a newer model replaces it, because drift is measured against
	// the training data of the model being served.
	drift atomic.Pointer[modelDrift]
}

type modelDrift struct {
	model *loaded
	drift *monitor.Drift
}

func newModelMonitor(opts Options) *modelMonitor {
	return &modelMonitor{
		predictions: monitor.NewPredictions(opts.Monitor),
		driftConfig: opts.Drift,
	}
}

// driftOf returns the drift detector of l. For a model that is no longer
// current (a request admitted before a reload) it returns nil, so stale
// inputs never enter the new model's window.
func (m *modelMonitor) driftOf(l, current *loaded) *monitor.Drift {
	for {
		md := m.drift.Load()
		if md != nil && md.model == l {
			return md.drift
		}
		if l != current {
			m.predictions.Register(l.ref.Version, l.m.Classes())
			return nil
		}
		next := &modelDrift{model: l, drift: monitor.NewDrift(l.m.Spec.Stats, m.driftConfig)}
		if m.drift.CompareAndSwap(md, next) {
			m.predictions.Register(l.ref.Version, l.m.Classes())
			return next.drift
		}
	}
}

// observe records one predicted row of the request in the feedback store
// and the drift window. Rows are numbered in the order they are predicted,
// which is their order in a batch or v2 infer request.
func (s *Server) observe(l *loaded, row []float64, class int, st *requestState) {
	if d := s.monitor.driftOf(l, s.current.Load()); d != nil {
		d.Observe(row)
	}
	s.monitor.predictions.Record(st.id, st.observed, l.ref.Version, class)
	st.observed++
}

// driftReport returns the drift of the current model's inputs.
func (s *Server) driftReport() (*loaded, monitor.DriftReport) {
	l := s.current.Load()
	return l, s.monitor.driftOf(l, l).Report()
}

func apiDrift(l *loaded, r monitor.DriftReport) api.DriftResponse {
	out := api.DriftResponse{
		Model: l.ref, Samples: r.Samples, Window: r.Window, MinSamples: r.MinSamples,
		Threshold: r.Threshold, Ready: r.Ready, Drifted: r.Drifted,
		Features: make([]api.FeatureDrift, len(r.Features)),
	}
	for i, f := range r.Features {
		out.Features[i] = api.FeatureDrift{Name: f.Name, PSI: f.PSI, Drifted: f.Drifted, Available: f.Available}
	}
	return out
}

func driftStatus(r monitor.DriftReport) *api.DriftStatus {
	st := &api.DriftStatus{Ready: r.Ready, Samples: r.Samples, Drifted: r.Drifted > 0, DriftedFeatures: []string{}}
	for _, f := range r.Features {
		if f.Drifted {
			st.DriftedFeatures = append(st.DriftedFeatures, f.Name)
		}
	}
	return st
}

// monitorCollector exports accuracy, feedback and drift figures, computed
// when Prometheus scrapes rather than on every prediction.
type monitorCollector struct {
	s *Server

	liveAccuracy, liveLabels, validationAccuracy *prometheus.Desc
	feedback, feedbackLate                       *prometheus.Desc
	stored, evicted                              *prometheus.Desc
	psi, driftedFeatures, driftSamples           *prometheus.Desc
}

func newMonitorCollector(s *Server) *monitorCollector {
	return &monitorCollector{
		s: s,
		liveAccuracy: prometheus.NewDesc("mlops_live_accuracy",
			"Accuracy over the most recent labelled predictions of a model version (POST /feedback).",
			[]string{"version"}, nil),
		liveLabels: prometheus.NewDesc("mlops_live_accuracy_labels",
			"Labelled predictions that mlops_live_accuracy covers, by model version.", []string{"version"}, nil),
		validationAccuracy: prometheus.NewDesc("mlops_model_validation_accuracy",
			"Accuracy of the served model on its held-out split at training time.", []string{"version"}, nil),
		feedback: prometheus.NewDesc("mlops_feedback_total",
			"Labels received at POST /feedback by result, except late ones (see mlops_feedback_late_total).",
			[]string{"result"}, nil),
		feedbackLate: prometheus.NewDesc("mlops_feedback_late_total",
			"Labels that arrived after their prediction was evicted by age or count.", nil, nil),
		stored: prometheus.NewDesc("mlops_feedback_predictions_stored",
			"Predictions kept to pair with a label.", nil, nil),
		evicted: prometheus.NewDesc("mlops_feedback_predictions_evicted_total",
			"Predictions evicted by age or count before any label arrived.", nil, nil),
		psi: prometheus.NewDesc("mlops_feature_drift_psi",
			"Population stability index of recent inputs against the training deciles, by feature; 0 until the window holds enough inputs.",
			[]string{"feature"}, nil),
		driftedFeatures: prometheus.NewDesc("mlops_drifted_features",
			"Features whose PSI is above the drift threshold.", nil, nil),
		driftSamples: prometheus.NewDesc("mlops_drift_window_samples",
			"Input rows in the drift window.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *monitorCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.liveAccuracy, c.liveLabels, c.validationAccuracy, c.feedback,
		c.feedbackLate, c.stored, c.evicted, c.psi, c.driftedFeatures, c.driftSamples} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *monitorCollector) Collect(ch chan<- prometheus.Metric) {
	p := c.s.monitor.predictions
	for _, a := range p.Accuracy() {
		v := strconv.Itoa(a.Version)
		ch <- prometheus.MustNewConstMetric(c.liveAccuracy, prometheus.GaugeValue, a.Accuracy, v)
		ch <- prometheus.MustNewConstMetric(c.liveLabels, prometheus.GaugeValue, float64(a.Labelled), v)
	}
	counts := p.Counts()
	for result, n := range map[string]uint64{
		"labelled": counts.Labelled, "repeated": counts.Repeated, "conflicting": counts.Conflicting,
		"unknown_request": counts.UnknownRequest, "unknown_label": counts.UnknownLabel,
	} {
		ch <- prometheus.MustNewConstMetric(c.feedback, prometheus.CounterValue, float64(n), result)
	}
	ch <- prometheus.MustNewConstMetric(c.feedbackLate, prometheus.CounterValue, float64(counts.Late))
	ch <- prometheus.MustNewConstMetric(c.stored, prometheus.GaugeValue, float64(p.Len()))
	ch <- prometheus.MustNewConstMetric(c.evicted, prometheus.CounterValue, float64(counts.Evicted))

	l, r := c.s.driftReport()
	ch <- prometheus.MustNewConstMetric(c.validationAccuracy, prometheus.GaugeValue,
		l.m.Metadata.Metrics.Holdout.Accuracy, l.version)
	for _, f := range r.Features {
		if f.Available {
			ch <- prometheus.MustNewConstMetric(c.psi, prometheus.GaugeValue, f.PSI, f.Name)
		}
	}
	ch <- prometheus.MustNewConstMetric(c.driftedFeatures, prometheus.GaugeValue, float64(r.Drifted))
	ch <- prometheus.MustNewConstMetric(c.driftSamples, prometheus.GaugeValue, float64(r.Samples))
}
