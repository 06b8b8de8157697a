package server

import (
	"fmt"
	"math"
	"net/http"
	"slices"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/auth"
)

// v2Platform is reported as the model platform in v2 model metadata.
const v2Platform = "mlops_random_forest"

// v2InputName is the name of the one input tensor in the v2 metadata.
// Requests may name their input freely, as KServe runtimes allow.
const v2InputName = "input-0"

func (s *Server) registerV2(mux *http.ServeMux) {
	s.register(mux, "GET /v2/health/live", rolePublic, s.handleV2Live)
	s.register(mux, "GET /v2/health/ready", rolePublic, s.handleV2Ready)
	s.register(mux, "GET /v2", auth.RoleRead, s.handleV2Server)
	for _, base := range []string{"/v2/models/{name}", "/v2/models/{name}/versions/{version}"} {
		s.register(mux, "GET "+base, auth.RoleRead, s.handleV2Metadata)
		s.register(mux, "GET "+base+"/ready", auth.RoleRead, s.handleV2ModelReady)
		s.register(mux, "POST "+base+"/infer", auth.RolePredict, s.handleV2Infer)
	}
}

func (s *Server) handleV2Live(w http.ResponseWriter, r *http.Request, st *requestState) error {
	writeJSON(w, http.StatusOK, api.V2ServerLive{Live: true})
	return nil
}

func (s *Server) handleV2Ready(w http.ResponseWriter, r *http.Request, st *requestState) error {
	ready := s.readiness(st).Ready
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, api.V2ServerReady{Ready: ready})
	return nil
}

func (s *Server) handleV2Server(w http.ResponseWriter, r *http.Request, st *requestState) error {
	writeJSON(w, http.StatusOK, api.V2ServerMetadata{Name: "mlops", Version: s.opts.Version, Extensions: []string{}})
	return nil
}

// v2Model returns the served model when the path names it, else a 404.
func v2Model(r *http.Request, st *requestState) (*loaded, error) {
	l := st.model
	name, version := r.PathValue("name"), r.PathValue("version")
	if name == l.ref.Name && (version == "" || version == l.version) {
		return l, nil
	}
	return nil, &Error{Status: http.StatusNotFound, Code: CodeModelNotFound,
		Message: fmt.Sprintf("model %q version %q is not served; this server serves %q version %s",
			name, version, l.ref.Name, l.version)}
}

func (s *Server) handleV2Metadata(w http.ResponseWriter, r *http.Request, st *requestState) error {
	l, err := v2Model(r, st)
	if err != nil {
		return err
	}
	nf, nc := int64(l.numFeatures()), int64(l.m.NumClasses())
	writeJSON(w, http.StatusOK, api.V2ModelMetadata{
		Name:     l.ref.Name,
		Versions: []string{l.version},
		Platform: v2Platform,
		Inputs:   []api.V2TensorMetadata{{Name: v2InputName, Datatype: "FP64", Shape: []int64{-1, nf}}},
		Outputs: []api.V2TensorMetadata{
			{Name: api.V2OutputLabel, Datatype: "BYTES", Shape: []int64{-1}},
			{Name: api.V2OutputIndex, Datatype: "INT64", Shape: []int64{-1}},
			{Name: api.V2OutputProbabilities, Datatype: "FP64", Shape: []int64{-1, nc}},
		},
	})
	return nil
}

func (s *Server) handleV2ModelReady(w http.ResponseWriter, r *http.Request, st *requestState) error {
	l, err := v2Model(r, st)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.V2ModelReady{Name: l.ref.Name, Ready: true})
	return nil
}

func (s *Server) handleV2Infer(w http.ResponseWriter, r *http.Request, st *requestState) error {
	l, err := v2Model(r, st)
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var req api.V2InferRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	wanted, err := v2Outputs(req.Outputs)
	if err != nil {
		return err
	}
	values, rows, err := s.v2Input(req.Inputs, l)
	if err != nil {
		return err
	}

	resp := s.v2Predict(l, values, rows, wanted, st)
	resp.ID = req.ID
	st.rows = rows
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// v2Outputs checks the requested output names; none means all.
func v2Outputs(req []api.V2RequestOutput) ([]string, error) {
	all := []string{api.V2OutputLabel, api.V2OutputIndex, api.V2OutputProbabilities}
	if len(req) == 0 {
		return all, nil
	}
	out := make([]string, 0, len(req))
	for i, o := range req {
		if !slices.Contains(all, o.Name) {
			return nil, badRequest(CodeInvalidValue, "outputs[%d].name: unknown output %q; known outputs: %v", i, o.Name, all)
		}
		out = append(out, o.Name)
	}
	return out, nil
}

// v2Input validates the one input tensor, shape [rows, features], and
// returns its values in row-major order.
func (s *Server) v2Input(inputs []api.V2RequestInput, l *loaded) ([]float64, int, error) {
	nf := l.numFeatures()
	if len(inputs) != 1 {
		return nil, 0, badRequest(CodeInvalidValue, "inputs: expected 1 input tensor of shape [N, %d], got %d tensors",
			nf, len(inputs))
	}
	in := inputs[0]
	if in.Datatype != "FP32" && in.Datatype != "FP64" {
		return nil, 0, badRequest(CodeInvalidValue, "inputs[0].datatype: must be FP32 or FP64, got %q", in.Datatype)
	}
	if len(in.Shape) != 2 || in.Shape[1] != int64(nf) {
		return nil, 0, badRequest(CodeFeatureCount, "inputs[0].shape: must be [N, %d] for features %s, got %v",
			nf, l.featureList, in.Shape)
	}
	rows := in.Shape[0]
	if rows < 1 || rows > int64(s.opts.MaxBatch) {
		return nil, 0, badRequest(CodeBatchTooLarge, "inputs[0].shape: N must be between 1 and %d, got %d",
			s.opts.MaxBatch, rows)
	}
	if len(in.Data) == 0 {
		return nil, 0, badRequest(CodeMissingField, "inputs[0].data: missing")
	}
	sc := scanner{data: in.Data}
	values, err := sc.readTensor(int(rows), nf, in.Datatype == "FP32", "inputs[0].data")
	if err != nil {
		return nil, 0, err
	}
	return values, int(rows), nil
}

func (s *Server) v2Predict(l *loaded, values []float64, rows int, wanted []string, st *requestState) api.V2InferResponse {
	nf, nc := l.numFeatures(), l.m.NumClasses()
	labels := make([]string, rows)
	indexes := make([]int64, rows)
	probs := make([]float64, rows*nc)
	var warnings []api.Warning
	for i := range rows {
		p := s.predictRow(l, values[i*nf:(i+1)*nf], probs[i*nc:(i+1)*nc], st)
		labels[i], indexes[i] = p.Class, int64(p.Index)
		for _, w := range p.Warnings {
			w.Field = fmt.Sprintf("inputs[0][%d].%s", i, w.Field)
			warnings = append(warnings, w)
		}
	}

	resp := api.V2InferResponse{ModelName: l.ref.Name, ModelVersion: l.version}
	for _, name := range wanted {
		switch name {
		case api.V2OutputLabel:
			resp.Outputs = append(resp.Outputs, api.V2ResponseData{Name: name, Datatype: "BYTES",
				Shape: []int64{int64(rows)}, Data: labels})
		case api.V2OutputIndex:
			resp.Outputs = append(resp.Outputs, api.V2ResponseData{Name: name, Datatype: "INT64",
				Shape: []int64{int64(rows)}, Data: indexes})
		case api.V2OutputProbabilities:
			resp.Outputs = append(resp.Outputs, api.V2ResponseData{Name: name, Datatype: "FP64",
				Shape: []int64{int64(rows), int64(nc)}, Data: probs})
		}
	}
	if len(warnings) > 0 {
		resp.Parameters = map[string]any{"warnings": warnings}
	}
	return resp
}

// readTensor reads tensor data of shape [rows, cols], given flat or nested
// one level per dimension, in row-major order.
func (s *scanner) readTensor(rows, cols int, fp32 bool, path string) ([]float64, error) {
	if c := s.peek(); c != '[' {
		return nil, s.wrongType(path, "an array of numbers", c)
	}
	values := make([]float64, 0, rows*cols)
	read := func(field func() string) error {
		v, err := s.readFloat(field)
		if err == nil && fp32 {
			if v32 := float32(v); math.IsInf(float64(v32), 0) {
				return badRequest(CodeInvalidValue, "%s: %g is out of range for FP32", field(), v)
			}
			v = float64(float32(v))
		}
		values = append(values, v)
		return err
	}

	// Look one token past '[' to tell flat data from nested rows.
	save := s.pos
	s.pos++
	nested := s.peek() == '['
	s.pos = save

	var err error
	if nested {
		err = s.readNestedRows(rows, cols, path, &values, read)
	} else {
		err = s.eachElement(func(i int) error {
			if i >= rows*cols {
				return badRequest(CodeFeatureCount, "%s: more than %d values for shape [%d, %d]", path, rows*cols, rows, cols)
			}
			return read(func() string { return indexPath(path, i) })
		})
	}
	if err != nil {
		return nil, err
	}
	if len(values) != rows*cols {
		return nil, badRequest(CodeFeatureCount, "%s: %d values for shape [%d, %d], which needs %d",
			path, len(values), rows, cols, rows*cols)
	}
	return values, s.end()
}

func (s *scanner) readNestedRows(rows, cols int, path string, values *[]float64, read func(func() string) error) error {
	return s.eachElement(func(i int) error {
		rowPath := indexPath(path, i)
		if i >= rows {
			return badRequest(CodeFeatureCount, "%s: more than %d rows for shape [%d, %d]", path, rows, rows, cols)
		}
		if c := s.peek(); c != '[' {
			return s.wrongType(rowPath, "an array of numbers", c)
		}
		start := len(*values)
		err := s.eachElement(func(j int) error {
			if j >= cols {
				return badRequest(CodeFeatureCount, "%s: more than %d values", rowPath, cols)
			}
			return read(func() string { return indexPath(rowPath, j) })
		})
		if err == nil && len(*values)-start != cols {
			err = badRequest(CodeFeatureCount, "%s: expected %d values, got %d", rowPath, cols, len(*values)-start)
		}
		return err
	})
}
