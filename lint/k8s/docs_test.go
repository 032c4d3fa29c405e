package k8s

import (
	"strings"
	"testing"

	"github.com/secprof/secprof/docs"
	"github.com/secprof/secprof/lint"
)

// TestRuleDocs checks every k8s/ rule page like linttest.CheckRuleDocs, but
// in a workspace that holds the test profiles (testdata/profiles), since
// the cross-file rules look for them under the workspace root: each Bad
// example must trigger its rule and each Good example must not.
func TestRuleDocs(t *testing.T) {
	n := 0
	for _, r := range lint.AllRules() {
		if !strings.HasPrefix(r.ID, "k8s/") {
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
				if ex.Lang != "yaml" {
					t.Errorf("docs line %d: example language %q, want yaml", ex.Line, ex.Lang)
					continue
				}
				name := ex.Name
				if name == "" {
					name = "example.yaml"
				}
				w := newWorkspace(t, defaultConfig)
				w.write(name, ex.Code)
				fs := w.lint(New(), name)
				hit := len(only(fs, r.ID)) > 0
				switch ex.Section {
				case "Bad":
					bad++
					if !hit {
						t.Errorf("docs line %d: bad example does not trigger %s; got:\n%s", ex.Line, r.ID, render(fs))
					}
				case "Good":
					good++
					if hit {
						t.Errorf("docs line %d: good example triggers %s:\n%s", ex.Line, r.ID, render(fs))
					}
				}
			}
			if bad == 0 || good == 0 {
				t.Errorf("docs/rules/%s.md needs a ## Bad and a ## Good example (has %d bad, %d good)", r.ID, bad, good)
			}
		})
	}
	if n == 0 {
		t.Fatal("no k8s/ rules registered")
	}
}
