package k8s

import (
	"gopkg.in/yaml.v3"

	"github.com/secprof/secprof/lint"
)

// The type of seccompProfile and appArmorProfile is one of RuntimeDefault,
// Localhost and Unconfined, and the annotations accept runtime/default,
// localhost/<profile> and unconfined (seccomp also docker/default). Any
// other value is rejected by the API server, so the workload never runs.
func init() {
	register(&rule{
		Rule: lint.Rule{ID: RuleProfileTypeInvalid, Severity: lint.Error,
			Summary: "a seccomp or AppArmor profile type (or annotation value) is not one Kubernetes accepts"},
		check: checkProfileTypeInvalid,
	})
}

func checkProfileTypeInvalid(c *checkCtx, w *Workload) []lint.Finding {
	var out []lint.Finding
	for _, s := range w.Settings() {
		if s.Type != "" {
			continue
		}
		switch {
		case s.Source.IsAnnotation():
			want := "runtime/default, localhost/<profile name> or unconfined"
			if s.Mech == Seccomp {
				want = "runtime/default, localhost/<path under the kubelet's seccomp directory> or unconfined"
			}
			out = append(out, c.at(s.Node(), RuleProfileTypeInvalid, "%s: %q is not a valid value; it must be %s", s.Describe(), s.Raw, want))
		case s.Value == nil:
			out = append(out, c.at(s.Key, RuleProfileTypeInvalid, "%s has no type: it must say RuntimeDefault, Localhost or Unconfined", s.Describe()).
				WithFix("add type: RuntimeDefault"))
		case s.Value.Kind != yaml.ScalarNode:
			out = append(out, c.at(s.Value, RuleProfileTypeInvalid, "%s.type must be RuntimeDefault, Localhost or Unconfined, not a list or map", s.Describe()))
		default:
			out = append(out, c.at(s.Value, RuleProfileTypeInvalid, "%s.type %s is not RuntimeDefault, Localhost or Unconfined (the values are case-sensitive)", s.Describe(), quote(s.Raw)))
		}
	}
	return out
}
