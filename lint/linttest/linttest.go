// Package linttest holds test helpers shared by the checkers' tests, so
// that every checker's rule docs are verified the same way.
package linttest

import (
	"context"
	"strings"
	"testing"

	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/docs"
	"github.com/secprof/secprof/lint"
)

// Lint runs checker c on one in-memory file with configuration cfg (nil for
// defaults) and returns its findings after defaults/overrides are applied.
func Lint(t testing.TB, c lint.Checker, cfg *config.File, name, content string) []lint.Finding {
	t.Helper()
	if cfg == nil {
		cfg = config.Default()
	}
	f := lint.NewFile(name, []byte(content))
	if !c.Detect(f) {
		t.Fatalf("%s: checker %s does not detect this content", name, c.Name())
	}
	ctx := &lint.Context{Context: context.Background(), Config: cfg, Root: t.TempDir(), Files: []*lint.File{f}}
	fs := lint.Apply(cfg, c.Check(ctx, f))
	lint.SortFindings(fs)
	return fs
}

// HasRule reports whether some finding is of rule id.
func HasRule(fs []lint.Finding, id string) bool {
	for _, f := range fs {
		if f.Rule == id {
			return true
		}
	}
	return false
}

// CheckRuleDocs verifies, for every registered rule whose ID starts with
// prefix (e.g. "seccomp/"), that docs/rules/<id>.md exists, that each
// "## Bad" example makes c report the rule and that each "## Good" example
// does not. cfg may adapt the configuration per rule (nil for defaults).
func CheckRuleDocs(t *testing.T, prefix string, c lint.Checker, cfg func(ruleID string) *config.File) {
	t.Helper()
	n := 0
	for _, r := range lint.AllRules() {
		if !strings.HasPrefix(r.ID, prefix) {
			continue
		}
		n++
		t.Run(r.ID, func(t *testing.T) {
			page, ok := docs.Rule(r.ID)
			if !ok {
				t.Fatalf("no docs/rules/%s.md", r.ID)
			}
			var bad, good int
			for _, ex := range docs.Examples(page) {
				var c2 *config.File
				if cfg != nil {
					c2 = cfg(r.ID)
				}
				name := ex.Name
				if name == "" {
					name = "example." + ex.Lang
				}
				fs := Lint(t, c, c2, name, ex.Code)
				switch ex.Section {
				case "Bad":
					bad++
					if !HasRule(fs, r.ID) {
						t.Errorf("docs line %d: bad example does not trigger %s; got %v", ex.Line, r.ID, fs)
					}
				case "Good":
					good++
					if HasRule(fs, r.ID) {
						t.Errorf("docs line %d: good example triggers %s: %v", ex.Line, r.ID, fs)
					}
				}
			}
			if bad == 0 || good == 0 {
				t.Errorf("docs/rules/%s.md needs a ## Bad and a ## Good example (has %d bad, %d good)", r.ID, bad, good)
			}
		})
	}
	if n == 0 {
		t.Fatalf("no rules registered with prefix %q", prefix)
	}
}
