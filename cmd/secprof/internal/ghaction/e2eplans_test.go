package ghaction

import (
	"path/filepath"
	"testing"

	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/harness"
	_ "github.com/secprof/secprof/harness/kind" // registers the kind backend, whose options the plans set
)

// The plans .github/workflows/e2e-kind.yml runs only on GitHub; parsing
// them here keeps them valid as the plan format evolves.
func TestE2EPlansParse(t *testing.T) {
	root := repoRoot(t)
	t.Chdir(root)
	cfg, err := config.Load(filepath.Join(root, config.DefaultFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{".github/e2e/seed-kind.yaml", ".github/e2e/seccomp-default-kind.yaml"} {
		plan, err := harness.Load(cfg, p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if plan.Backend != "kind" || len(plan.Cases) == 0 {
			t.Errorf("%s: backend %q, %d cases", p, plan.Backend, len(plan.Cases))
		}
	}
}
