package apparmor

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/lint"
)

// lintPolicy lints src as a profile file with the fixture include tree and
// without apparmor_parser, so results do not depend on the machine.
func lintPolicy(t *testing.T, src string) []lint.Finding {
	t.Helper()
	return lintWith(t, "profile", src, "off")
}

func lintWith(t *testing.T, name, src, parser string) []lint.Finding {
	t.Helper()
	c := newChecker(sysroot)
	cfg := config.Default()
	cfg.Lint.AppArmor.Parser = parser
	f := lint.NewFile(name, []byte(src))
	if !c.Detect(f) {
		t.Fatalf("%s is not detected as AppArmor policy", name)
	}
	ctx := &lint.Context{Context: context.Background(), Config: cfg, Root: t.TempDir(), Files: []*lint.File{f}}
	fs := lint.Apply(cfg, c.Check(ctx, f))
	lint.SortFindings(fs)
	return fs
}

// ruleLines returns the lines rule is reported at.
func ruleLines(fs []lint.Finding, rule string) []int {
	var out []int
	for _, f := range fs {
		if f.Rule == rule {
			out = append(out, f.Line)
		}
	}
	return out
}

// ruleCase is one table entry of a rule test: the lines the rule must be
// reported at (none for a good case).
type ruleCase struct {
	name  string
	src   string
	lines []int
}

func runRuleCases(t *testing.T, rule string, cases []ruleCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := lintPolicy(t, c.src)
			got := ruleLines(fs, rule)
			if !reflect.DeepEqual(got, c.lines) && !(len(got) == 0 && len(c.lines) == 0) {
				t.Errorf("%s reported at lines %v, want %v\nfindings:\n%s", rule, got, c.lines, dump(fs))
			}
		})
	}
}

func dump(fs []lint.Finding) string {
	s := ""
	for _, f := range fs {
		s += fmt.Sprintf("  %s\n", f)
	}
	return s
}

// prof wraps rules in a profile that includes the base abstraction.
func prof(rules string) string {
	return "include <tunables/global>\nprofile test {\n  include <abstractions/base>\n" + rules + "}\n"
}

// checkCtx is a lint context rooted at root, apparmor_parser off.
func checkCtx(root string) *lint.Context {
	cfg := config.Default()
	cfg.Lint.AppArmor.Parser = "off"
	return &lint.Context{Context: context.Background(), Config: cfg, Root: root}
}

// checkIn lints an on-disk style file inside root.
func checkIn(t *testing.T, root string, f *lint.File) []lint.Finding {
	t.Helper()
	c := newChecker(sysroot)
	ctx := checkCtx(root)
	fs := lint.Apply(ctx.Config, c.Check(ctx, f))
	lint.SortFindings(fs)
	return fs
}
