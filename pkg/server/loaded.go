package server

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/model"
)

// oodStdDevs is how many training standard deviations beyond the observed
// minimum or maximum a value may lie before it is flagged out of
// distribution.
const oodStdDevs = 3

// loaded is a verified model plus what the handlers derive from it once per
// load rather than once per request. It is immutable after newLoaded, so
// requests can share it while a reload swaps in its successor.
type loaded struct {
	m       *model.Model
	ref     api.ModelRef
	version string // the version as a decimal string, for the v2 routes
	index   map[string]int
	low     []float64 // out-of-distribution bounds per feature
	high    []float64
	// featureList joins the feature names for error messages.
	featureList string
	info        api.ModelInfo
}

func newLoaded(m *model.Model) (*loaded, error) {
	features := m.Features()
	l := &loaded{
		m:           m,
		ref:         api.ModelRef{Name: m.Name, Version: m.Version, Digest: m.Digest},
		version:     strconv.Itoa(m.Version),
		index:       make(map[string]int, len(features)),
		low:         make([]float64, len(features)),
		high:        make([]float64, len(features)),
		featureList: strings.Join(features, ", "),
	}
	for i, name := range features {
		l.index[name] = i
	}
	for i, st := range m.Spec.Stats {
		spread := oodStdDevs * st.Std
		l.low[i], l.high[i] = st.Min-spread, st.Max+spread
		if math.IsNaN(l.low[i]) || math.IsNaN(l.high[i]) {
			l.low[i], l.high[i] = math.Inf(-1), math.Inf(1)
		}
	}
	metrics, err := json.Marshal(m.Metadata.Metrics)
	if err != nil {
		return nil, fmt.Errorf("encode metrics of %s:v%d: %w", m.Name, m.Version, err)
	}
	l.info = api.ModelInfo{
		Name:      m.Name,
		Version:   m.Version,
		Digest:    m.Digest,
		Features:  features,
		Classes:   m.Classes(),
		Stats:     apiStats(m),
		Metrics:   metrics,
		TrainedAt: m.Metadata.CreatedAt,
		LoadedAt:  m.LoadedAt,
	}
	return l, nil
}

func apiStats(m *model.Model) []api.FeatureStats {
	out := make([]api.FeatureStats, len(m.Spec.Stats))
	for i, st := range m.Spec.Stats {
		out[i] = api.FeatureStats{
			Name: st.Name, Min: st.Min, Max: st.Max, Mean: st.Mean, Std: st.Std, Quantiles: st.Quantiles,
		}
	}
	return out
}

func (l *loaded) numFeatures() int { return len(l.low) }

// outOfDistribution returns a warning per value of row outside the training
// range widened by oodStdDevs standard deviations, or nil.
func (l *loaded) outOfDistribution(row []float64) []api.Warning {
	var out []api.Warning
	for i, v := range row {
		if v >= l.low[i] && v <= l.high[i] {
			continue
		}
		name := l.m.Spec.Features[i]
		out = append(out, api.Warning{
			Code:  api.WarningOutOfDistribution,
			Field: name,
			Value: v,
			Message: fmt.Sprintf("%s = %g is outside the training range widened by %d standard deviations [%.4g, %.4g]",
				name, v, oodStdDevs, l.low[i], l.high[i]),
		})
	}
	return out
}

// predict fills probs for row and returns the prediction. The probabilities
// map is keyed by class name.
func (l *loaded) predict(row, probs []float64) api.Prediction {
	l.m.PredictProba(row, probs)
	best := 0
	for i, p := range probs {
		if p > probs[best] {
			best = i
		}
	}
	classes := l.m.Classes()
	byClass := make(map[string]float64, len(classes))
	for i, c := range classes {
		byClass[c] = probs[i]
	}
	return api.Prediction{Index: best, Class: classes[best], Probabilities: byClass}
}
