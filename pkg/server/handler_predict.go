package server

import (
	"net/http"

	"github.com/mlops-dev/mlops/pkg/api"
)

func (s *Server) handlePredict(w http.ResponseWriter, r *http.Request, st *requestState) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	l := st.model
	row := make([]float64, l.numFeatures()+l.m.NumClasses())
	row, probs := row[:l.numFeatures()], row[l.numFeatures():]
	if err := decodePredict(body, l, row); err != nil {
		return err
	}

	p := s.predictRow(l, row, probs, st)
	st.prediction = p.Class
	writePredictResponse(w, &api.PredictResponse{Prediction: p, Model: l.ref, RequestID: st.id}, l.m.Classes(), probs)
	return nil
}

func (s *Server) handleBatch(w http.ResponseWriter, r *http.Request, st *requestState) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	l := st.model
	values, rows, err := decodeBatch(body, l, s.opts.MaxBatch)
	if err != nil {
		return err
	}

	nf := l.numFeatures()
	probs := make([]float64, l.m.NumClasses())
	out := make([]api.Prediction, rows)
	for i := range rows {
		out[i] = s.predictRow(l, values[i*nf:(i+1)*nf], probs, st)
	}
	st.rows = rows
	writeJSON(w, http.StatusOK, api.BatchResponse{Predictions: out, Model: l.ref, RequestID: st.id})
	return nil
}

// predictRow predicts one validated row, flags out-of-distribution values
// and counts both.
func (s *Server) predictRow(l *loaded, row, probs []float64, st *requestState) api.Prediction {
	p := l.predict(row, probs)
	p.Warnings = l.outOfDistribution(row)
	for _, w := range p.Warnings {
		s.metrics.oodInputs.WithLabelValues(w.Field).Inc()
	}
	st.warnings += len(p.Warnings)
	s.metrics.predictions.WithLabelValues(p.Class).Inc()
	s.observe(l, row, p.Index, st)
	return p
}
