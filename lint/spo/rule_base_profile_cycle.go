package spo

import "github.com/secprof/secprof/lint"

// Base profiles that lead back to a profile of the chain never resolve:
// the operator recurses until its depth limit. Resolve reports the cycle at
// the first profile's baseProfileName.
func init() {
	lint.RegisterRules(lint.Rule{ID: RuleBaseProfileCycle, Severity: lint.Error,
		Summary: "base profiles form a cycle"})
}
