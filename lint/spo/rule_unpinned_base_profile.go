package spo

import "github.com/secprof/secprof/lint"

// An oci:// base named by tag only can change without the profile
// changing: whoever can push the tag decides which syscalls the workload
// may make. A digest (…:tag@sha256:…) pins it. Resolve reports it at the
// baseProfileName.
func init() {
	lint.RegisterRules(lint.Rule{ID: RuleUnpinnedBaseProfile, Severity: lint.Warning,
		Summary: "an oci:// base profile is referenced by tag, not by digest"})
}
