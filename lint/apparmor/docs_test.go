package apparmor

import (
	"os"
	"strings"
	"testing"

	"github.com/secprof/secprof/docs"
	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/linttest"
)

// TestRuleDocs checks that every rule has docs/rules/apparmor/<name>.md
// whose Bad example triggers it and whose Good example does not. The
// parser-rejected examples need apparmor_parser: without it (outside CI)
// that one page is skipped and the others are checked the same way.
func TestRuleDocs(t *testing.T) {
	if p, _ := ParserPath("auto"); p != "" {
		linttest.CheckRuleDocs(t, "apparmor/", New(), nil)
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("apparmor_parser is not installed: the apparmor/parser-rejected examples cannot be checked (install the Debian package apparmor)")
	}
	t.Log("apparmor_parser is not installed: not checking the apparmor/parser-rejected examples")
	c := New()
	for _, r := range lint.AllRules() {
		if !strings.HasPrefix(r.ID, "apparmor/") || r.ID == ruleParserRejected {
			continue
		}
		t.Run(r.ID, func(t *testing.T) {
			page, ok := docs.Rule(r.ID)
			if !ok {
				t.Fatalf("no docs/rules/%s.md", r.ID)
			}
			var bad, good int
			for _, ex := range docs.Examples(page) {
				name := ex.Name
				if name == "" {
					name = "example." + ex.Lang
				}
				fs := linttest.Lint(t, c, nil, name, ex.Code)
				switch ex.Section {
				case "Bad":
					bad++
					if !linttest.HasRule(fs, r.ID) {
						t.Errorf("docs line %d: bad example does not trigger %s; got %v", ex.Line, r.ID, fs)
					}
				case "Good":
					good++
					if linttest.HasRule(fs, r.ID) {
						t.Errorf("docs line %d: good example triggers %s: %v", ex.Line, r.ID, fs)
					}
				}
			}
			if bad == 0 || good == 0 {
				t.Errorf("docs/rules/%s.md needs a Bad and a Good example", r.ID)
			}
		})
	}
}
