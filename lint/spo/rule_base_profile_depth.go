package spo

import "github.com/secprof/secprof/lint"

// The operator resolves base profiles to 15 levels (MaxDepth) and refuses
// the profile beyond. Resolve reports it at the first profile's
// baseProfileName.
func init() {
	lint.RegisterRules(lint.Rule{ID: RuleBaseProfileDepth, Severity: lint.Error,
		Summary: "the chain of base profiles is deeper than the operator resolves (15 levels)"})
}
