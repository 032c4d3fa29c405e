package seccomp

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/linttest"
)

// cfgFor returns the default configuration with lint.runtime set.
func cfgFor(rt Runtime) *config.File {
	c := config.Default()
	c.Lint.Runtime = string(rt)
	return c
}

// lintSrc lints one in-memory profile for runtime rt ("" = containerd).
func lintSrc(t *testing.T, rt Runtime, src string) []lint.Finding {
	t.Helper()
	if rt == "" {
		rt = Containerd
	}
	name := "profile.json"
	if !strings.HasPrefix(strings.TrimSpace(src), "{") {
		name = "profile.yaml"
	}
	return linttest.Lint(t, New(), cfgFor(rt), name, src)
}

// at renders where a finding is and its severity: "3:5-3:9 error".
func at(f lint.Finding) string {
	s := fmt.Sprintf("%d:%d", f.Line, f.Column)
	if f.EndLine > 0 {
		s += fmt.Sprintf("-%d:%d", f.EndLine, f.EndColumn)
	}
	return s + " " + f.Severity.String()
}

// expect asserts that rule reported exactly the findings want (in order),
// each written as at() renders it; a want may add " ~ text" that the
// message must contain.
func expect(t *testing.T, fs []lint.Finding, rule string, want ...string) {
	t.Helper()
	var got []lint.Finding
	for _, f := range fs {
		if f.Rule == rule {
			got = append(got, f)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%s: got %d findings, want %d:\n%s", rule, len(got), len(want), dump(got))
	}
	for i, w := range want {
		pos, text, _ := strings.Cut(w, " ~ ")
		if at(got[i]) != pos || !strings.Contains(got[i].Message, text) {
			t.Errorf("%s finding %d: got %s %q, want %s ~ %q", rule, i, at(got[i]), got[i].Message, pos, text)
		}
	}
}

func dump(fs []lint.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s %s\n", at(f), f)
	}
	return b.String()
}

// only asserts that no rule outside allowed reported anything.
func only(t *testing.T, fs []lint.Finding, allowed ...string) {
	t.Helper()
	for _, f := range fs {
		if !slices.Contains(allowed, f.Rule) {
			t.Errorf("unexpected finding %s %s", at(f), f)
		}
	}
}
