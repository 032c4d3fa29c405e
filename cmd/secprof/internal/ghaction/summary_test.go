package ghaction

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/secprof/secprof/harness"
	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/profdiff"
	"github.com/secprof/secprof/lint/report"
)

func finding(file, rule string, sev lint.Severity, line int, msg string) lint.Finding {
	return lint.Finding{Rule: rule, Severity: sev, File: file, Line: line, Column: 1, Message: msg}
}

// AnnotationsCut must agree with what report.GitHub really writes.
func TestAnnotationsCutMatchesReporter(t *testing.T) {
	var fs []lint.Finding
	for i := 0; i < 25; i++ {
		fs = append(fs, finding("a.json", "r/e", lint.Error, i+1, "e"))
	}
	for i := 0; i < 12; i++ {
		fs = append(fs, finding("b.json", "r/w", lint.Warning, i+1, "w"))
	}
	for i := 0; i < 3; i++ {
		fs = append(fs, finding("c.json", "r/i", lint.Info, i+1, "i"))
	}
	for _, limit := range []int{0, 1, 5, 10, 30, -1} {
		var b bytes.Buffer
		if err := report.GitHub(&b, report.Input{Findings: fs}, report.GitHubOptions{Limit: limit}); err != nil {
			t.Fatal(err)
		}
		annotated := 0
		for _, line := range strings.Split(b.String(), "\n") {
			if strings.HasPrefix(line, "::") && strings.Contains(line, "file=") {
				annotated++
			}
		}
		if got, want := AnnotationsCut(fs, limit), len(fs)-annotated; got != want {
			t.Errorf("limit %d: AnnotationsCut = %d, reporter left %d without annotation", limit, got, want)
		}
	}
	if got := AnnotationsCut(fs, 0); got != 15+2 {
		t.Errorf("default limit: %d cut, want 17", got)
	}
}

func TestSummaryLint(t *testing.T) {
	fs := []lint.Finding{
		finding("profiles/a.json", "seccomp/dangerous-syscall", lint.Error, 7, "ptrace is allowed"),
		finding("profiles/a.json", "seccomp/dangerous-syscall", lint.Error, 3, "bpf is allowed"),
		finding("profiles/a.json", "seccomp/clone-namespaces", lint.Warning, 9, "clone"),
		finding("profiles/b.json", "seccomp/log-by-default", lint.Warning, 2, "audit mode"),
	}
	s := &Summary{Version: "v1", Lint: &LintSummary{Findings: fs, Linted: 2, FailOn: "error", Limit: 10, SARIFFile: "/tmp/secprof.sarif"}}
	md := s.Markdown()
	for _, want := range []string{
		"## secprof v1",
		"❌ 4 findings in 2 files: 2 errors, 2 warnings, 0 infos (fail on: error).",
		"| File | Rule | Severity | Findings | Lines |",
		`| profiles\/a\.json | seccomp\/clone\-namespaces | 🟠 warning | 1 | 9 |`,
		`| profiles\/a\.json | seccomp\/dangerous\-syscall | 🔴 error | 2 | 3, 7 |`,
		`| profiles\/b\.json | seccomp\/log\-by\-default | 🟠 warning | 1 | 2 |`,
		"<details><summary>Every finding</summary>",
		`🔴 error profiles\/a\.json:7:1 ptrace is allowed \[seccomp\/dangerous\-syscall\]`,
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "[!WARNING]") {
		t.Error("cut note without a cut")
	}

	s.Lint.Cut, s.Lint.FailOn = 17, "never"
	md = s.Markdown()
	if !strings.Contains(md, "> [!WARNING]\n> 17 findings got no annotation: GitHub shows at most 10 annotations per severity and step.") ||
		!strings.Contains(md, `the SARIF file \/tmp\/secprof\.sarif (upload it with github/codeql-action/upload-sarif`) {
		t.Errorf("cut note missing:\n%s", md)
	}
	if !strings.Contains(md, "✅ 4 findings") {
		t.Errorf("fail-on never should not fail:\n%s", md)
	}

	clean := (&Summary{Version: "v1", Lint: &LintSummary{Linted: 3}}).Markdown()
	if !strings.Contains(clean, "✅ 0 findings in 3 files") || strings.Contains(clean, "| File |") {
		t.Errorf("clean summary:\n%s", clean)
	}
}

// Hostile file names and messages cannot add rows, cells, HTML, links or
// headings to the summary.
func TestSummaryEscapes(t *testing.T) {
	evil := "x|y\n## owned\n<script>alert(1)</script> [a](javascript:x) `c` @org/team ::error::z"
	fs := []lint.Finding{finding(evil, evil, lint.Error, 1, evil)}
	res := &harness.Result{Backend: "local", Cases: []harness.CaseResult{{Name: evil, Status: harness.FailedS, Failures: []string{evil}, Expected: harness.Expect{Outcome: harness.Running}}}}
	s := &Summary{Version: evil, Lint: &LintSummary{Findings: fs, Linted: 1, SARIFFile: evil, Cut: 1, Limit: 10}, Test: res, JUnitFile: evil}
	md := s.Markdown()
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "## owned") || strings.HasPrefix(line, "<script") {
			t.Errorf("injected line %q", line)
		}
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| File") && !strings.HasPrefix(line, "| Case") {
			cells := strings.Count(line, "|") - strings.Count(line, `\|`)
			if cells != 6 && cells != 7 {
				t.Errorf("row with %d separators: %q", cells, line)
			}
		}
	}
	for _, bad := range []string{"<script", "](javascript", "`c`", "\r"} {
		if strings.Contains(md, bad) {
			t.Errorf("summary holds %q", bad)
		}
	}
}

func TestSummaryTests(t *testing.T) {
	one := 1
	res := &harness.Result{
		Backend: "kind", Passed: 1, Failed: 1, Skipped: 1, Errors: 1, Duration: 95 * time.Second,
		Env: harness.Env{Kubernetes: "v1.34.0", Runtime: "containerd 2.1.4", AppArmor: true},
		Cases: []harness.CaseResult{
			{Name: "audit runs", Status: harness.Passed, Expected: harness.Expect{Outcome: harness.Running}, Verdict: &harness.Verdict{Outcome: harness.Running}, Duration: 3200 * time.Millisecond},
			{Name: "fine-grained minus one", Status: harness.FailedS, Expected: harness.Expect{Outcome: harness.Running},
				Verdict: &harness.Verdict{Outcome: harness.CrashLoopBackOff, Reason: "Error", ExitCode: &one}, Duration: 5 * time.Second,
				Failures:    []string{"outcome: got CrashLoopBackOff, want Running"},
				Explanation: &harness.Explanation{Denied: []string{"openat", "newfstatat"}}},
			{Name: "apparmor", Status: harness.Skipped, Skip: "AppArmor not enabled", Expected: harness.Expect{Outcome: harness.Running}},
			{Name: "pull", Status: harness.Errored, Error: "image pull failed", Expected: harness.Expect{Outcome: harness.Running}, Duration: 40 * time.Millisecond},
		},
	}
	md := (&Summary{Version: "v1", Test: res, JUnitFile: "/tmp/junit.xml"}).Markdown()
	for _, want := range []string{
		"### Tests (kind backend)",
		"❌ 1 passed, 1 failed, 1 skipped, 1 errors in 1m35s. Environment: Kubernetes v1\\.34\\.0\\, containerd 2\\.1\\.4\\, AppArmor enabled. JUnit report: \\/tmp\\/junit\\.xml.",
		"| Case | Expected | Seen | Result | Time | Details |",
		"| audit runs | Running | Running | ✅ passed | 3.2s |  |",
		"| fine\\-grained minus one | Running | CrashLoopBackOff \\(Error\\) | ❌ failed | 5.0s | outcome\\: got CrashLoopBackOff\\, want Running<br>denied syscalls\\: openat\\, newfstatat |",
		"| apparmor | Running | – | ⏭️ skipped | 0ms | skipped\\: AppArmor not enabled |",
		"| pull | Running | – | ⚠️ error | 40ms | error\\: image pull failed |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
}

func TestSummaryDiff(t *testing.T) {
	r := &profdiff.Report{Base: "origin/main (0123456789ab)", Head: "work tree", Files: []profdiff.FileDiff{{
		Path: "profiles/a.json", Status: profdiff.StatusModified, Type: "seccomp",
		Items: []profdiff.Item{{Kind: profdiff.KindSyscallAllowed, Subject: "ptrace", Risk: profdiff.High, Message: "ptrace is now allowed", Line: 4}},
	}}}
	md := (&Summary{Version: "v1", Diff: r}).Markdown()
	for _, want := range []string{"### Profile changes since origin\\/main \\(0123456789ab\\)", "| 🔴 high | ptrace is now allowed | 4 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
}

func TestSummaryBounded(t *testing.T) {
	var fs []lint.Finding
	for i := 0; i < 5000; i++ {
		fs = append(fs, finding(strings.Repeat("d/", 50)+string(rune('a'+i%26))+".json", "r/"+string(rune('a'+i%20)), lint.Error, i+1, strings.Repeat("long message ", 20)))
	}
	md := (&Summary{Version: "v", Lint: &LintSummary{Findings: fs, Linted: 26}}).Markdown()
	if len(md) > MaxSummary {
		t.Errorf("summary of %d bytes exceeds GitHub's limit", len(md))
	}
	if !strings.Contains(md, "4500 more (see the SARIF file)") {
		t.Error("no note on the cut finding list")
	}
}
