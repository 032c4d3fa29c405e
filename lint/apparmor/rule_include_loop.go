package apparmor

import "github.com/secprof/secprof/lint"

// apparmor/include-loop: an include leads back to a file that is being
// included. apparmor_parser silently skips the repeated include, so the
// loop is not an error, but it means the include structure is not what its
// author thinks.
func init() {
	register(lint.Rule{ID: ruleIncludeLoop, Severity: lint.Warning,
		Summary: "Includes form a loop"}, nil)
}
