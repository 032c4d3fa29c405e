package ghaction

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"
)

// parseFileCommands reads a GITHUB_OUTPUT (or GITHUB_ENV) file the way the
// runner does: "name=value" lines, and "name<<DELIMITER" heredocs whose
// value is every line up to the delimiter line.
func parseFileCommands(t *testing.T, b []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			j := i + 1
			for ; j < len(lines) && lines[j] != delim; j++ {
				val = append(val, lines[j])
			}
			if j == len(lines) {
				t.Fatalf("heredoc %q not terminated", name)
			}
			if _, dup := out[name]; dup {
				t.Errorf("output %s set twice", name)
			}
			out[name] = strings.Join(val, "\n")
			i = j
			continue
		}
		name, val, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("malformed line %q", line)
		}
		out[name] = val
	}
	return out
}

func testAction(t *testing.T, env map[string]string) (*githubactions.Action, *bytes.Buffer) {
	var log bytes.Buffer
	return githubactions.New(githubactions.WithWriter(&log), githubactions.WithGetenv(func(k string) string { return env[k] })), &log
}

func TestSetOutputsFileFormat(t *testing.T) {
	file := filepath.Join(t.TempDir(), "output")
	a, log := testAction(t, map[string]string{"GITHUB_OUTPUT": file})
	o := Outputs{Findings: 12, Errors: 3, Warnings: 9, SARIFFile: "/tmp/r/secprof.sarif", Tested: true, TestsPassed: 4, TestsFailed: 1, JUnitFile: "/tmp/r/junit.xml"}
	pairs := append(o.Pairs(), [2]string{"multi", "line one\nline two\n\nafter a blank line\nname=not-an-output\nx<<EOF"})
	if err := SetOutputs(a, pairs); err != nil {
		t.Fatal(err)
	}
	if log.Len() != 0 {
		t.Errorf("outputs written to the log too: %q", log.String())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	got := parseFileCommands(t, b)
	want := map[string]string{
		"findings": "12", "errors": "3", "warnings": "9", "sarif-file": "/tmp/r/secprof.sarif",
		"tests-passed": "4", "tests-failed": "1", "junit-file": "/tmp/r/junit.xml", "diff-high": "",
		"multi": "line one\nline two\n\nafter a blank line\nname=not-an-output\nx<<EOF",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("GITHUB_OUTPUT holds\n%v\nwant\n%v\nfile:\n%s", got, want, b)
	}
}

func TestOutputsNotRunAreEmpty(t *testing.T) {
	got := map[string]string{}
	for _, p := range (Outputs{Findings: 0}).Pairs() {
		got[p[0]] = p[1]
	}
	if got["findings"] != "0" || got["tests-passed"] != "" || got["tests-failed"] != "" || got["diff-high"] != "" {
		t.Errorf("%v", got)
	}
	got = map[string]string{}
	for _, p := range (Outputs{Tested: true, Diffed: true}).Pairs() {
		got[p[0]] = p[1]
	}
	if got["tests-passed"] != "0" || got["tests-failed"] != "0" || got["diff-high"] != "0" {
		t.Errorf("%v", got)
	}
}

func TestSetOutputsRefusesInjection(t *testing.T) {
	file := filepath.Join(t.TempDir(), "output")
	a, _ := testAction(t, map[string]string{"GITHUB_OUTPUT": file})
	hostile := "x\n" + fileCommandDelimiter + "\nfindings<<" + fileCommandDelimiter + "\n0"
	for _, p := range [][2]string{
		{"sarif-file", hostile},
		{"bad name", "v"},
		{"a=b", "v"},
		{"x<<y", "v"},
		{"nul", "a\x00b"},
	} {
		if err := SetOutputs(a, [][2]string{{"findings", "1"}, p}); err == nil {
			t.Errorf("%q=%q accepted", p[0], p[1])
		}
	}
	// Nothing is written when any pair is refused.
	if b, err := os.ReadFile(file); err == nil && len(b) > 0 {
		t.Errorf("partial outputs written: %q", b)
	}
}

func TestSetOutputsWithoutGitHub(t *testing.T) {
	a, log := testAction(t, map[string]string{})
	if err := SetOutputs(a, [][2]string{{"findings", "2"}, {"sarif-file", "a\nb"}}); err != nil {
		t.Fatal(err)
	}
	if log.String() != "output findings=\"2\"\noutput sarif-file=\"a\\nb\"\n" {
		t.Errorf("log %q", log.String())
	}
}

func TestSetOutputsUnwritable(t *testing.T) {
	a, _ := testAction(t, map[string]string{"GITHUB_OUTPUT": filepath.Join(t.TempDir(), "missing-dir", "output")})
	err := SetOutputs(a, [][2]string{{"findings", "1"}})
	if err == nil || !strings.Contains(err.Error(), "GITHUB_OUTPUT") {
		t.Errorf("error %v", err)
	}
}

func TestAddSummary(t *testing.T) {
	file := filepath.Join(t.TempDir(), "summary")
	a, _ := testAction(t, map[string]string{"GITHUB_STEP_SUMMARY": file})
	if err := AddSummary(a, "## one\n"); err != nil {
		t.Fatal(err)
	}
	if err := AddSummary(a, "## two\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(file)
	if string(b) != "## one\n\n## two\n\n" {
		t.Errorf("summary %q", b)
	}

	// Over the limit: cut at a line, with a note, under 1 MiB.
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("| row | row |\n", MaxSummary/10)
	if err := AddSummary(a, big); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(file)
	if len(b) > MaxSummary || !strings.Contains(string(b), "summary cut") || !strings.HasPrefix(string(b), "| row | row |\n") {
		t.Errorf("summary of %d bytes, ends %q", len(b), b[max(0, len(b)-200):])
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line != "| row | row |" && line != "" && !strings.Contains(line, "summary cut") {
			t.Fatalf("line cut in the middle: %q", line)
		}
	}

	// Outside GitHub: nothing, no error.
	a, log := testAction(t, map[string]string{})
	if err := AddSummary(a, "x"); err != nil || log.Len() != 0 {
		t.Errorf("err %v log %q", err, log.String())
	}
}
