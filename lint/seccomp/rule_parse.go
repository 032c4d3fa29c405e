package seccomp

import "github.com/secprof/secprof/lint"

// RuleParse is reported by ParseFile at the position of a syntax error.
const RuleParse = "seccomp/parse"

func init() {
	register(lint.Rule{ID: RuleParse, Severity: lint.Error,
		Summary: "the file is not valid JSON/YAML, so no runtime can load it"}, nil)
}
