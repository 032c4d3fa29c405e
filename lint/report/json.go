package report

import (
	"encoding/json"
	"io"

	"github.com/secprof/secprof/lint"
)

// JSONReport is the document written by --format json (docs/output.md).
type JSONReport struct {
	Version  string         `json:"version,omitempty"`
	Findings []lint.Finding `json:"findings"`
	Summary  Summary        `json:"summary"`
}

// JSON writes the findings as one JSON document.
func JSON(w io.Writer, in Input) error {
	r := JSONReport{Version: in.Version, Findings: in.Findings, Summary: Summarize(in)}
	if r.Findings == nil {
		r.Findings = []lint.Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
