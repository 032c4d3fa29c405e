// Package lint holds what every linter of secprof shares: positions,
// findings, rule metadata and the runner that walks files and hands each one
// to the checkers that recognise it. The kind-specific checkers live in
// sub-packages (lint/seccomp, lint/apparmor, …) and reporters in lint/report.
package lint

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Severity orders findings; the zero value is "unset" so that a rule's
// default can be told apart from an override.
type Severity int

const (
	SeverityUnset Severity = iota
	Info
	Warning
	Error
)

var severityNames = [...]string{"", "info", "warning", "error"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity accepts "error", "warning" and "info" (case-insensitive).
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if i > 0 && strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return SeverityUnset, fmt.Errorf("unknown severity %q (want error, warning or info)", s)
}

func (s Severity) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

func (s *Severity) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return err
	}
	v, err := ParseSeverity(str)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Pos is a 1-based position in a file. Columns count Unicode characters, not
// bytes, so a caret printed under the source line lands on the right place.
type Pos struct {
	Line int
	Col  int
}

func (p Pos) IsValid() bool { return p.Line > 0 }

// Span is a range in a file; End is exclusive and may be zero when only a
// start is known.
type Span struct {
	Start Pos
	End   Pos
}

// Finding is one problem found in one file. Its JSON encoding is a public
// contract documented in docs/output.md.
type Finding struct {
	Rule      string   `json:"rule"`
	Severity  Severity `json:"severity"`
	File      string   `json:"file"`
	Line      int      `json:"line"`
	Column    int      `json:"column"`
	EndLine   int      `json:"endLine,omitempty"`
	EndColumn int      `json:"endColumn,omitempty"`
	Message   string   `json:"message"`
	Fix       string   `json:"fix,omitempty"`
}

// At returns a finding for rule at span in file. Severity is left unset so
// that the runner fills in the rule's default (or the configured override).
func At(file, rule string, sp Span, format string, args ...any) Finding {
	f := Finding{Rule: rule, File: file, Line: sp.Start.Line, Column: sp.Start.Col, Message: fmt.Sprintf(format, args...)}
	if sp.End.IsValid() {
		f.EndLine, f.EndColumn = sp.End.Line, sp.End.Col
	}
	return f
}

// WithFix returns f with a suggested fix.
func (f Finding) WithFix(format string, args ...any) Finding {
	f.Fix = fmt.Sprintf(format, args...)
	return f
}

// WithSeverity returns f with an explicit severity, for rules whose severity
// depends on the input (e.g. missing-compat-arch).
func (f Finding) WithSeverity(s Severity) Finding {
	f.Severity = s
	return f
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s [%s]", f.File, f.Line, f.Column, f.Severity, f.Message, f.Rule)
}

// SortFindings orders findings by file, position and rule so output is stable
// whatever order the parallel runner produced them in.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Message < b.Message
	})
}
