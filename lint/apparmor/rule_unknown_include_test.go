package apparmor

import "testing"

func TestUnknownInclude(t *testing.T) {
	runRuleCases(t, "apparmor/unknown-include", []ruleCase{
		{"found", prof(""), nil},
		{"missing", prof("  include <abstractions/nothing-like-this>\n"), []int{4}},
		{"missing optional", prof("  include if exists <local/test>\n"), nil},
		{"escapes", prof("  include <../../etc/passwd>\n"), []int{4}},
		{"absolute outside", prof("  include \"/etc/passwd\"\n"), []int{4}},
	})
}
