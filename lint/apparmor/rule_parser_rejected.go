package apparmor

import "github.com/secprof/secprof/lint"

// apparmor/parser-rejected carries apparmor_parser's verdict (run with -QK,
// never loading anything into a kernel) on policy secprof's own parser
// accepts. When apparmor_parser gives no verdict (the configured path is
// unusable, it crashed or timed out) the finding is a warning that says
// so. See aaparser.go.
func init() {
	register(lint.Rule{ID: ruleParserRejected, Severity: lint.Error,
		Summary: "apparmor_parser -QK rejects the policy"}, nil)
}
