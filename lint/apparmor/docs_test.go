package apparmor

import (
	"os"
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
	c := New()
	linttest.CheckRuleDocsWith(t, "apparmor/", func(t *testing.T, ruleID string, ex docs.Example) []lint.Finding {
		if ruleID == ruleParserRejected {
			t.Skip("apparmor_parser is not installed: not checking the apparmor/parser-rejected examples")
		}
		name := ex.Name
		if name == "" {
			name = "example." + ex.Lang
		}
		return linttest.Lint(t, c, nil, name, ex.Code)
	})
}
