package apparmor

import "github.com/secprof/secprof/lint"

// apparmor/parse is reported from Load's problems: syntax errors, statements
// in places the grammar forbids (rules outside a profile, variables inside
// one, a profile defined twice), invalid permission strings and patterns.
// Names the parser does not know (a capability, a network family, a flag)
// and unrecognized rules from newer AppArmor are kept and reported at
// warning level: apparmor_parser decides.
func init() {
	register(lint.Rule{ID: ruleParse, Severity: lint.Error,
		Summary: "The policy does not parse: syntax error, misplaced statement, invalid permissions or pattern"}, nil)
}
