package k8s

import (
	"testing"

	"github.com/secprof/secprof/docs"
	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/linttest"
)

// TestRuleDocs checks every k8s/ rule page's examples, each in a workspace
// that holds the test profiles (testdata/profiles), since the cross-file
// rules look for them under the workspace root.
func TestRuleDocs(t *testing.T) {
	linttest.CheckRuleDocsWith(t, "k8s/", func(t *testing.T, _ string, ex docs.Example) []lint.Finding {
		if ex.Lang != "yaml" {
			t.Fatalf("docs line %d: example language %q, want yaml", ex.Line, ex.Lang)
		}
		name := ex.Name
		if name == "" {
			name = "example.yaml"
		}
		w := newWorkspace(t, defaultConfig)
		w.Write(name, ex.Code)
		return w.Lint(New(), name)
	})
}
