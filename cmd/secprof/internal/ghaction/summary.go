package ghaction

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/secprof/secprof/harness"
	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/profdiff"
	"github.com/secprof/secprof/lint/report"
)

// Summary is everything the job summary shows.
type Summary struct {
	Version string
	// Lint is nil when the linter did not run.
	Lint *LintSummary
	// Test is nil when the harness did not run.
	Test *harness.Result
	// JUnitFile is where the harness's JUnit report went.
	JUnitFile string
	// Diff is nil when no diff-base was given.
	Diff *profdiff.Report
}

// LintSummary is the linter's part of the summary.
type LintSummary struct {
	Findings []lint.Finding
	Linted   int
	// FailOn is the severity that fails the step.
	FailOn string
	// Limit is the number of annotations per severity (report.GitHub's),
	// Cut how many findings got none.
	Limit, Cut int
	SARIFFile  string
}

// Limits on the summary's size: GitHub refuses summaries over 1 MiB.
const (
	maxFindingRows = 300
	maxDetailRows  = 500
	maxCaseRows    = 500
)

// AnnotationsCut counts the findings report.GitHub leaves without an
// annotation when it shows at most limit per severity (0 means
// report.MaxAnnotations, negative no limit).
func AnnotationsCut(fs []lint.Finding, limit int) int {
	if limit < 0 {
		return 0
	}
	return report.AnnotationsCut(fs, limit)
}

// md escapes untrusted text (file names, messages, case names) for
// Markdown, also inside table cells.
func md(s string) string { return profdiff.MarkdownText(s) }

// Markdown renders the job summary.
func (s *Summary) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "## secprof %s\n\n", md(s.Version))
	if s.Lint != nil {
		s.Lint.markdown(&b)
	}
	if s.Test != nil {
		testMarkdown(&b, s.Test, s.JUnitFile)
	}
	if s.Diff != nil {
		var d strings.Builder
		_ = profdiff.Markdown(&d, s.Diff, profdiff.MarkdownOptions{Heading: 3})
		b.WriteString(d.String())
		b.WriteString("\n")
	}
	return b.String()
}

type fileRule struct{ file, rule string }

func (l *LintSummary) markdown(b *strings.Builder) {
	sum := report.Summarize(report.Input{Findings: l.Findings, Linted: l.Linted})
	fmt.Fprintf(b, "### Lint\n\n")
	status := "✅"
	if failing(l.Findings, l.FailOn) {
		status = "❌"
	}
	fmt.Fprintf(b, "%s %s in %s: %d errors, %d warnings, %d infos (fail on: %s).\n\n",
		status, plural(sum.Findings, "finding"), plural(sum.Files, "file"), sum.Errors, sum.Warnings, sum.Infos, md(orDefault(l.FailOn, "error")))
	if l.Cut > 0 {
		where := "the step log"
		if l.SARIFFile != "" {
			where = "the SARIF file " + md(l.SARIFFile) + " (upload it with github/codeql-action/upload-sarif to see every finding in code scanning)"
		}
		fmt.Fprintf(b, "> [!WARNING]\n> %s got no annotation: GitHub shows at most %d annotations per severity and step. Every finding is listed below and in %s.\n\n",
			plural(l.Cut, "finding"), l.Limit, where)
	}
	if len(l.Findings) == 0 {
		return
	}
	// One row per file and rule.
	type agg struct {
		sev   lint.Severity
		n     int
		lines []int
	}
	groups := map[fileRule]*agg{}
	var order []fileRule
	for _, f := range l.Findings {
		k := fileRule{f.File, f.Rule}
		g := groups[k]
		if g == nil {
			g = &agg{}
			groups[k] = g
			order = append(order, k)
		}
		g.n++
		if f.Severity > g.sev {
			g.sev = f.Severity
		}
		g.lines = append(g.lines, f.Line)
	}
	sort.SliceStable(order, func(i, j int) bool {
		if order[i].file != order[j].file {
			return order[i].file < order[j].file
		}
		return order[i].rule < order[j].rule
	})
	b.WriteString("| File | Rule | Severity | Findings | Lines |\n|---|---|---|---:|---|\n")
	for i, k := range order {
		if i == maxFindingRows {
			fmt.Fprintf(b, "| … | %d more file/rule pairs | | | |\n", len(order)-i)
			break
		}
		g := groups[k]
		fmt.Fprintf(b, "| %s | %s | %s | %d | %s |\n", md(k.file), md(k.rule), severityBadge(g.sev), g.n, lineList(g.lines))
	}
	b.WriteString("\n<details><summary>Every finding</summary>\n\n")
	for i, f := range l.Findings {
		if i == maxDetailRows {
			fmt.Fprintf(b, "- … %d more (see the SARIF file)\n", len(l.Findings)-i)
			break
		}
		msg := f.Message
		if f.Fix != "" {
			msg += " — fix: " + f.Fix
		}
		fmt.Fprintf(b, "- %s %s:%d:%d %s \\[%s\\]\n", severityBadge(f.Severity), md(f.File), f.Line, f.Column, md(msg), md(f.Rule))
	}
	b.WriteString("\n</details>\n\n")
}

func failing(fs []lint.Finding, failOn string) bool {
	if failOn == "never" {
		return false
	}
	min, err := lint.ParseSeverity(orDefault(failOn, "error"))
	if err != nil {
		return false
	}
	for _, f := range fs {
		if f.Severity >= min {
			return true
		}
	}
	return false
}

func severityBadge(s lint.Severity) string {
	switch s {
	case lint.Error:
		return "🔴 error"
	case lint.Warning:
		return "🟠 warning"
	}
	return "🔵 " + s.String()
}

// lineList shows up to 10 line numbers.
func lineList(lines []int) string {
	sort.Ints(lines)
	var parts []string
	prev := -1
	for _, l := range lines {
		if l == prev || l <= 0 {
			continue
		}
		prev = l
		if len(parts) == 10 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, fmt.Sprint(l))
	}
	return strings.Join(parts, ", ")
}

func testMarkdown(b *strings.Builder, r *harness.Result, junit string) {
	fmt.Fprintf(b, "### Tests (%s backend)\n\n", md(r.Backend))
	status := "✅"
	if !r.OK() {
		status = "❌"
	}
	fmt.Fprintf(b, "%s %d passed, %d failed, %d skipped, %d errors in %s.", status, r.Passed, r.Failed, r.Skipped, r.Errors, duration(r.Duration))
	if r.Env.Runtime != "" || r.Env.Kubernetes != "" {
		var env []string
		if r.Env.Kubernetes != "" {
			env = append(env, "Kubernetes "+r.Env.Kubernetes)
		}
		if r.Env.Runtime != "" {
			env = append(env, r.Env.Runtime)
		}
		if r.Env.AppArmor {
			env = append(env, "AppArmor enabled")
		} else {
			env = append(env, "AppArmor not enabled")
		}
		fmt.Fprintf(b, " Environment: %s.", md(strings.Join(env, ", ")))
	}
	if junit != "" {
		fmt.Fprintf(b, " JUnit report: %s.", md(junit))
	}
	b.WriteString("\n\n")
	if len(r.Cases) == 0 {
		return
	}
	b.WriteString("| Case | Expected | Seen | Result | Time | Details |\n|---|---|---|---|---:|---|\n")
	for i, c := range r.Cases {
		if i == maxCaseRows {
			fmt.Fprintf(b, "| … %d more cases (see the JUnit report) | | | | | |\n", len(r.Cases)-i)
			break
		}
		expected := string(c.Expected.Outcome)
		if c.When != "" {
			expected += " (when " + c.When + ")"
		}
		seen := "–"
		if c.Verdict != nil {
			seen = clip(c.Verdict.String(), 300)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", md(c.Name), md(expected), md(seen), statusBadge(c.Status), duration(c.Duration), caseDetails(c))
	}
	b.WriteString("\n")
}

// caseDetails says why a case did not pass: the failures, the syscalls
// the profile denied, the infrastructure error or the skip reason.
func caseDetails(c harness.CaseResult) string {
	var parts []string
	switch c.Status {
	case harness.FailedS:
		parts = append(parts, c.Failures...)
		if c.Explanation != nil && len(c.Explanation.Denied) > 0 {
			parts = append(parts, "denied syscalls: "+strings.Join(c.Explanation.Denied, ", "))
		}
	case harness.Errored:
		parts = append(parts, "error: "+c.Error)
	case harness.Skipped:
		parts = append(parts, "skipped: "+c.Skip)
	}
	for i, p := range parts {
		parts[i] = md(clip(p, 500))
	}
	return strings.Join(parts, "<br>")
}

func statusBadge(s harness.Status) string {
	switch s {
	case harness.Passed:
		return "✅ passed"
	case harness.FailedS:
		return "❌ failed"
	case harness.Skipped:
		return "⏭️ skipped"
	}
	return "⚠️ " + md(string(s))
}

func duration(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// clip shortens s to at most n runes.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
