package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/mlops-dev/mlops/pkg/ratelimit"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus collectors, registered on a private
// registry so that tests and several servers in one process never collide.
// No label takes caller-controlled values: routes are mux patterns, codes
// and methods come from fixed sets.
type metrics struct {
	registry          *prometheus.Registry
	requests          *prometheus.CounterVec
	duration          *prometheus.HistogramVec
	inFlight          prometheus.Gauge
	predictions       *prometheus.CounterVec
	modelInfo         *prometheus.GaugeVec
	reloads           *prometheus.CounterVec
	rateLimitRejected *prometheus.CounterVec
	authFailures      *prometheus.CounterVec
	oodInputs         *prometheus.CounterVec
	handler           http.Handler
}

func newMetrics(backend func() string) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlops_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mlops_http_request_duration_seconds",
			Help:    "Time from receiving a request to finishing its answer, by route pattern.",
			Buckets: []float64{.0001, .00025, .0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mlops_http_requests_in_flight",
			Help: "Requests being served right now.",
		}),
		predictions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlops_predictions_total",
			Help: "Predicted rows by predicted class.",
		}, []string{"class"}),
		modelInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mlops_model_info",
			Help: "The model being served; always 1.",
		}, []string{"name", "version", "digest"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlops_model_reloads_total",
			Help: "Model reload attempts by result (success or failure).",
		}, []string{"result"}),
		rateLimitRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlops_ratelimit_rejected_total",
			Help: "Requests answered 429 by the role whose rule rejected them.",
		}, []string{"role"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlops_auth_failures_total",
			Help: "Authentication and authorization failures by error code.",
		}, []string{"reason"}),
		oodInputs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlops_ood_inputs_total",
			Help: "Input values outside the training range widened by three standard deviations, by feature.",
		}, []string{"feature"}),
	}
	m.registry.MustRegister(
		m.requests, m.duration, m.inFlight, m.predictions, m.modelInfo, m.reloads,
		m.rateLimitRejected, m.authFailures, m.oodInputs,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.handler = promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
	for _, name := range []string{ratelimit.BackendRedis, ratelimit.BackendMemory} {
		m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "mlops_ratelimit_backend",
			Help:        "1 for the rate-limit backend in use, 0 for the other.",
			ConstLabels: prometheus.Labels{"backend": name},
		}, func() float64 {
			if backend() == name {
				return 1
			}
			return 0
		}))
	}
	return m
}

func (m *metrics) observe(route, method string, status int, elapsed time.Duration) {
	m.requests.WithLabelValues(route, methodLabel(method), strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(elapsed.Seconds())
}

// methodLabel maps the method to a fixed set, so odd methods cannot create
// new series.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodDelete, http.MethodPatch, http.MethodOptions:
		return method
	}
	return "other"
}

func (m *metrics) setModel(l *loaded) {
	m.modelInfo.Reset()
	m.modelInfo.WithLabelValues(l.ref.Name, l.version, l.ref.Digest).Set(1)
}
