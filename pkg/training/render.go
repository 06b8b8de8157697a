package training

import (
	"fmt"

	"github.com/mlops-dev/mlops/pkg/dataset"
	"github.com/mlops-dev/mlops/pkg/ui"
)

// Render prints the checks and the evaluation of res: tables for people, one JSON
// document with --output json.
func Render(s *ui.Streams, res *Result) error {
	if s.JSON {
		return s.WriteJSON(res)
	}
	RenderChecks(s, res.Metadata.Checks)
	if res.Version == 0 {
		return nil
	}
	renderFeatures(s, res)
	renderMetrics(s, res)
	return nil
}

// renderFeatures prints the features in the order the model expects them, with the
// training statistics the server uses to flag out-of-distribution inputs.
func renderFeatures(s *ui.Streams, res *Result) {
	t := &ui.Table{
		Title:   fmt.Sprintf("Features (in request order; label %q)", res.Spec.Label),
		Headers: []string{"#", "FEATURE", "MIN", "MAX", "MEAN", "STD"},
	}
	for i, name := range res.Spec.Features {
		if i < len(res.Spec.Stats) {
			st := res.Spec.Stats[i]
			t.AddRow(i, name, fmt.Sprintf("%.4g", st.Min), fmt.Sprintf("%.4g", st.Max), fmt.Sprintf("%.4g", st.Mean), fmt.Sprintf("%.4g", st.Std))
			continue
		}
		t.AddRow(i, name, "-", "-", "-", "-")
	}
	s.Render(t)
	fmt.Fprintln(s.Out)
}

// RenderChecks prints the data checks as a table.
func RenderChecks(s *ui.Streams, r dataset.Report) {
	t := &ui.Table{Title: "Data checks", Headers: []string{"CHECK", "STATUS", "DETAIL"}}
	for _, c := range r.Checks {
		t.AddRow(c.Name, string(c.Status), c.Detail)
	}
	s.Render(t)
	fmt.Fprintln(s.Out)
}

func renderMetrics(s *ui.Streams, res *Result) {
	m := res.Metadata.Metrics
	summary := &ui.Table{Title: fmt.Sprintf("Model %s:v%d", res.Name, res.Version), Headers: []string{"METRIC", "VALUE"}}
	summary.AddRow("hold-out accuracy", fmt.Sprintf("%.4f (%d rows)", m.Holdout.Accuracy, res.Metadata.Data.TestRows))
	summary.AddRow("hold-out macro F1", fmt.Sprintf("%.4f", m.Holdout.MacroF1))
	if m.CV != nil {
		summary.AddRow(fmt.Sprintf("%d-fold CV accuracy", m.CV.Folds), fmt.Sprintf("%.4f ± %.4f", m.CV.AccuracyMean, m.CV.AccuracyStd))
		summary.AddRow(fmt.Sprintf("%d-fold CV macro F1", m.CV.Folds), fmt.Sprintf("%.4f", m.CV.MacroF1Mean))
	}
	if m.OOB != nil {
		summary.AddRow("out-of-bag accuracy", fmt.Sprintf("%.4f", *m.OOB))
	}
	summary.AddRow("training time", fmt.Sprintf("%.2fs", res.Metadata.TrainSeconds))
	s.Render(summary)
	fmt.Fprintln(s.Out)

	perClass := &ui.Table{Title: "Per class (hold-out)", Headers: []string{"CLASS", "PRECISION", "RECALL", "F1", "SUPPORT"}}
	for _, c := range m.Holdout.PerClass {
		perClass.AddRow(c.Class, fmt.Sprintf("%.4f", c.Precision), fmt.Sprintf("%.4f", c.Recall), fmt.Sprintf("%.4f", c.F1), c.Support)
	}
	s.Render(perClass)
	fmt.Fprintln(s.Out)

	headers := []string{"TRUE \\ PREDICTED"}
	headers = append(headers, res.Spec.Classes...)
	confusion := &ui.Table{Title: "Confusion matrix (hold-out)", Headers: headers}
	for i, row := range m.Holdout.Confusion {
		cells := []string{res.Spec.Classes[i]}
		for _, n := range row {
			cells = append(cells, fmt.Sprint(n))
		}
		confusion.Rows = append(confusion.Rows, cells)
	}
	s.Render(confusion)
}
