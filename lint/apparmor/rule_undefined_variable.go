package apparmor

import "github.com/secprof/secprof/lint"

// apparmor/undefined-variable: a rule uses @{NAME} that no variable
// definition (in the file or its includes, typically tunables/global)
// sets; apparmor_parser rejects the policy. Not reported when an include
// could not be found, since it may have defined the variable.
func init() {
	register(lint.Rule{ID: ruleUndefinedVariable, Severity: lint.Error,
		Summary: "A rule uses a variable that is never defined"}, nil)
}
