package apparmor

import "github.com/secprof/secprof/lint"

// apparmor/unknown-include: a required include is found in none of the
// include directories (an `include if exists` may be missing), or it would
// be read from outside the include directories, /etc/apparmor.d and the
// workspace, which secprof refuses.
func init() {
	register(lint.Rule{ID: ruleUnknownInclude, Severity: lint.Error,
		Summary: "An include cannot be found or lies outside the allowed directories"}, nil)
}
