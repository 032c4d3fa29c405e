package k8s

import (
	"github.com/secprof/secprof/lint"
)

// Unconfined turns AppArmor off for the container; the baseline Pod
// Security Standard forbids it.
func init() {
	register(&rule{
		Rule: lint.Rule{ID: RuleAppArmorUnconfined, Severity: lint.Error,
			Summary: "AppArmor is explicitly Unconfined (forbidden by the baseline Pod Security Standard)"},
		check: func(c *checkCtx, w *Workload) []lint.Finding {
			return checkUnconfined(c, w, AppArmor, RuleAppArmorUnconfined)
		},
	})
}
