package seccomp

import (
	"testing"

	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/lint/linttest"
)

// TestRuleDocs checks that every seccomp rule has docs/rules/seccomp/<name>.md
// whose Bad examples trigger it and whose Good examples do not, linted for
// the default runtime (containerd).
func TestRuleDocs(t *testing.T) {
	linttest.CheckRuleDocs(t, "seccomp/", New(), func(string) *config.File { return config.Default() })
}
