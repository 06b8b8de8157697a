package doctor

import (
	"fmt"
	"strings"

	"github.com/mlops-dev/mlops/pkg/ui"
)

// Summary counts results by status.
type Summary struct {
	Pass int `json:"pass"`
	Warn int `json:"warn"`
	Fail int `json:"fail"`
	Skip int `json:"skip"`
}

// Summarize counts results by status.
func Summarize(results []Result) Summary {
	var s Summary
	for _, r := range results {
		switch r.Status {
		case StatusPass:
			s.Pass++
		case StatusWarn:
			s.Warn++
		case StatusFail:
			s.Fail++
		case StatusSkip:
			s.Skip++
		}
	}
	return s
}

// Render writes one line per result, with an indented fix line under each
// warning or failure, and a summary on stderr. With s.JSON it writes one
// JSON object with the checks and the summary instead.
func Render(s *ui.Streams, results []Result) error {
	sum := Summarize(results)
	if s.JSON {
		return s.WriteJSON(struct {
			Checks  []Result `json:"checks"`
			Summary Summary  `json:"summary"`
		}{results, sum})
	}
	width := 0
	for _, r := range results {
		width = max(width, len(r.Name))
	}
	for _, r := range results {
		fmt.Fprintf(s.Out, "%-4s  %-*s  %s\n", r.Status, width, r.Name, oneLine(r.Detail))
		if r.Fix != "" {
			fmt.Fprintf(s.Out, "      %-*s  fix: %s\n", width, "", oneLine(r.Fix))
		}
	}
	s.Statusf("%d passed, %d warned, %d failed, %d skipped", sum.Pass, sum.Warn, sum.Fail, sum.Skip)
	return nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
