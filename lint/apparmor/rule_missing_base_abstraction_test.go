package apparmor

import "testing"

func TestMissingBaseAbstraction(t *testing.T) {
	runRuleCases(t, "apparmor/missing-base-abstraction", []ruleCase{
		{"included", prof("  /tmp/** rw,\n"), nil},
		{"hash include", "#include <tunables/global>\nprofile a {\n  #include <abstractions/base>\n}\n", nil},
		{"missing", "profile a {\n  /tmp/** rw,\n}\n", []int{1}},
		{"two profiles", "profile a {\n  include <abstractions/base>\n}\nprofile b {\n}\n", []int{4}},
		{"hat needs none", "profile a {\n  include <abstractions/base>\n  ^h { }\n}\n", nil},
		{"through another abstraction", "profile a {\n  include <abstractions/nameservice>\n}\n", []int{1}},
	})
}
