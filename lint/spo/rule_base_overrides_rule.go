package spo

import (
	"strconv"

	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/seccomp"
)

// The operator merges a profile with its bases by union: for a syscall
// several of them name, the least restrictive action wins. A profile that
// denies (or only logs) a syscall its base allows therefore does not deny
// it: the composed profile allows it, and the profile's own rule is dead.
func init() {
	lint.RegisterRules(lint.Rule{ID: RuleBaseOverridesRule, Severity: lint.Warning,
		Summary: "a base profile allows a syscall the profile itself restricts, and the union keeps the base's action"})
}

// OverrideFindings reports the profile's rules the union overrides
// (spo/base-overrides-rule).
func (flat *Flat) OverrideFindings() []lint.Finding {
	var out []lint.Finding
	head := flat.Chain[0].Profile
	for _, l := range flat.Loosened {
		base := flat.Chain[l.BaseLink]
		where := base.Source()
		if base.Remote == nil {
			where += ":" + strconv.Itoa(l.Base.At.Start.Line)
		}
		f := lint.At(head.File.Path, RuleBaseOverridesRule, l.OwnName,
			"%s is %s here, but base profile %s gives it %s (%s): the operator keeps the less restrictive action, so the composed profile %s it",
			l.Name, l.Own.Action.V, base.Name(), l.Base.Action.V, where, verb(l.Base.Action.V))
		out = append(out, f.WithFix("remove %s from the base profile, or drop the rule here if the base's action is intended", l.Name))
	}
	return out
}

func verb(action string) string {
	if seccomp.Permits(action) {
		return "allows"
	}
	return "applies " + action + " to"
}
