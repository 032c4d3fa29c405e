package k8s

import (
	"github.com/secprof/secprof/lint"
)

// Unconfined turns seccomp off: every syscall of the kernel is reachable.
// The Pod Security Standards' baseline level forbids it.
func init() {
	register(&rule{
		Rule: lint.Rule{ID: RuleSeccompUnconfined, Severity: lint.Error,
			Summary: "seccomp is explicitly Unconfined (forbidden by the baseline Pod Security Standard)"},
		check: func(c *checkCtx, w *Workload) []lint.Finding {
			return checkUnconfined(c, w, Seccomp, RuleSeccompUnconfined)
		},
	})
}

// checkUnconfined reports every setting of m that is Unconfined.
func checkUnconfined(c *checkCtx, w *Workload, m Mechanism, ruleID string) []lint.Finding {
	var out []lint.Finding
	for _, s := range w.Settings() {
		if s.Mech != m || s.Type != TypeUnconfined {
			continue
		}
		if s.Source.IsAnnotation() && s.Container != nil && s.Container.Index < 0 {
			continue // names no container: it does nothing
		}
		who := "every container of " + w.Ref()
		switch {
		case s.Source == ContainerField:
			who = "the container"
		case s.Container != nil:
			who = s.Container.Ref()
		}
		fix := "use RuntimeDefault, or a Localhost profile that allows what the workload needs"
		if s.Source.IsAnnotation() {
			fix = "use the " + m.field() + " field with type RuntimeDefault or Localhost"
		}
		out = append(out, c.at(s.Node(), ruleID, "%s is Unconfined: %s runs without %s", s.Describe(), who, m).WithFix("%s", fix))
	}
	return out
}
