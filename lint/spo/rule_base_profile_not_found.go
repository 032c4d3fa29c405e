package spo

import "github.com/secprof/secprof/lint"

// The operator cannot install a SeccompProfile whose base it cannot get:
// a local name that is no SeccompProfile of the namespace, an oci://
// reference it cannot pull, or an artifact that holds no seccomp profile.
// Resolve reports it at the baseProfileName at fault.
func init() {
	lint.RegisterRules(lint.Rule{ID: RuleBaseProfileNotFound, Severity: lint.Error,
		Summary: "a baseProfileName names no SeccompProfile of the linted files, or an OCI artifact that cannot be pulled or holds no profile"})
}
