package harness

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// WriteText writes the human-readable report: one row per case with its
// time, then the reasons of every failure, error and skip.
func WriteText(w io.Writer, r *Result, verbose bool) error {
	bw := bufio.NewWriter(w)
	env := r.Env
	fmt.Fprintf(bw, "backend %s", r.Backend)
	if env.Runtime != "" {
		fmt.Fprintf(bw, " (%s)", env.Runtime)
	}
	if env.AppArmor {
		fmt.Fprint(bw, ", AppArmor enabled")
	} else {
		fmt.Fprint(bw, ", AppArmor not enabled")
	}
	if env.Kubernetes != "" {
		fmt.Fprintf(bw, ", Kubernetes %s", env.Kubernetes)
	}
	fmt.Fprintln(bw)
	nameW, expW, gotW := len("CASE"), len("EXPECTED"), len("GOT")
	for _, c := range r.Cases {
		nameW = max(nameW, min(utf8.RuneCountInString(sanitizeLine(c.Name)), 60))
		expW = max(expW, utf8.RuneCountInString(expectedLabel(c)))
		gotW = max(gotW, utf8.RuneCountInString(gotLabel(c)))
	}
	row := func(a, b, c, d, e string) {
		fmt.Fprintf(bw, "%s  %s  %s  %8s  %s\n", pad(a, nameW), pad(b, expW), pad(c, gotW), d, e)
	}
	row("CASE", "EXPECTED", "GOT", "TIME", "RESULT")
	for _, c := range r.Cases {
		row(truncate(sanitizeLine(c.Name), 60), expectedLabel(c), gotLabel(c), fmtDuration(c.Duration), string(c.Status))
	}
	for _, c := range r.Cases {
		if c.Status == Passed && !verbose {
			continue
		}
		var lines []string
		switch c.Status {
		case FailedS:
			lines = append(lines, c.Failures...)
		case Errored:
			lines = append(lines, "error: "+c.Error)
		case Skipped:
			lines = append(lines, "skipped: "+c.Skip)
		}
		if c.Status != Passed || verbose {
			if c.Verdict != nil && c.Status != FailedS {
				lines = append(lines, "verdict: "+c.Verdict.String())
			}
			for _, ch := range c.Checks {
				mark := "ok"
				if !ch.Passed {
					mark = "FAIL"
				}
				if c.Status != FailedS || ch.Passed {
					lines = append(lines, fmt.Sprintf("%s check %s: %s %s", ch.Kind, ch.Name, mark, ch.Detail))
				}
			}
		}
		if c.Status != Passed || verbose {
			for _, o := range c.Observations {
				if o.Kind == ObsNote {
					lines = append(lines, "note: "+o.Message)
				}
			}
		}
		if s := c.Explanation.Summary(); s != "" {
			lines = append(lines, s)
			if c.Explanation.Source != "" {
				lines = append(lines, "  (found through "+c.Explanation.Source+")")
			}
		}
		if len(c.Logs) > 0 && c.Status != Skipped {
			lines = append(lines, "last output:")
			for _, l := range c.Logs {
				lines = append(lines, "  | "+l)
			}
		}
		if len(lines) == 0 {
			continue
		}
		where := ""
		if c.Line > 0 {
			where = fmt.Sprintf(" (%s:%d)", r.Plan, c.Line)
		}
		fmt.Fprintf(bw, "\n%s %s%s\n", strings.ToUpper(string(c.Status)), sanitizeLine(c.Name), where)
		for _, l := range lines {
			fmt.Fprintf(bw, "    %s\n", sanitizeLine(l))
		}
	}
	fmt.Fprintf(bw, "\n%d passed, %d failed, %d skipped, %d errors in %s\n", r.Passed, r.Failed, r.Skipped, r.Errors, fmtDuration(r.Duration))
	return bw.Flush()
}

func expectedLabel(c CaseResult) string {
	s := string(c.Expected.Outcome)
	if c.When != "" {
		s += " [when " + c.When + "]"
	}
	return s
}

func gotLabel(c CaseResult) string {
	if c.Verdict == nil {
		return "-"
	}
	return string(c.Verdict.Outcome)
}

func pad(s string, n int) string {
	if k := utf8.RuneCountInString(s); k < n {
		return s + strings.Repeat(" ", n-k)
	}
	return s
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// sanitizeLine drops control characters a workload's output may carry,
// so they cannot rewrite the terminal.
func sanitizeLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' {
			return ' '
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

func fmtDuration(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	default:
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
}

// WriteJSON writes the result as indented JSON (docs/harness.md).
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

// WriteJUnit writes the result as JUnit XML, one testsuite per run.
func WriteJUnit(w io.Writer, r *Result) error {
	suite := junitSuite{
		Name: "secprof " + r.Backend, Tests: len(r.Cases), Failures: r.Failed, Errors: r.Errors, Skipped: r.Skipped,
		Time: secs(r.Duration), Timestamp: r.Start.UTC().Format(time.RFC3339),
		Properties: []junitProperty{{"backend", r.Backend}, {"apparmor", fmt.Sprint(r.Env.AppArmor)}},
	}
	if r.Env.Runtime != "" {
		suite.Properties = append(suite.Properties, junitProperty{"runtime", r.Env.Runtime})
	}
	if r.Env.Kubernetes != "" {
		suite.Properties = append(suite.Properties, junitProperty{"kubernetes", r.Env.Kubernetes})
	}
	for _, c := range r.Cases {
		jc := junitCase{Name: xmlSafe(c.Name), Classname: "secprof." + r.Backend, Time: secs(c.Duration), File: r.Plan, Line: c.Line}
		var detail []string
		if c.Explanation != nil && c.Explanation.Summary() != "" {
			detail = append(detail, c.Explanation.Summary())
		}
		for _, l := range c.Logs {
			detail = append(detail, "| "+l)
		}
		switch c.Status {
		case FailedS:
			jc.Failure = &junitMessage{Message: xmlSafe(strings.Join(c.Failures, "; ")), Type: "failure",
				Body: xmlSafe(strings.Join(append(append([]string(nil), c.Failures...), detail...), "\n"))}
		case Errored:
			jc.Error = &junitMessage{Message: xmlSafe(c.Error), Type: "error", Body: xmlSafe(strings.Join(detail, "\n"))}
		case Skipped:
			jc.Skipped = &junitMessage{Message: xmlSafe(c.Skip)}
		}
		if c.Verdict != nil {
			jc.SystemOut = xmlSafe("verdict: " + c.Verdict.String())
		}
		suite.Cases = append(suite.Cases, jc)
	}
	doc := junitSuites{Name: "secprof test", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Skipped: suite.Skipped, Time: suite.Time, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// xmlSafe drops characters XML 1.0 cannot hold (workload output may
// contain anything).
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, r == utf8.RuneError:
			return -1
		}
		return r
	}, s)
}
