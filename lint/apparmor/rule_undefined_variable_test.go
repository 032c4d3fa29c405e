package apparmor

import "testing"

func TestUndefinedVariable(t *testing.T) {
	runRuleCases(t, "apparmor/undefined-variable", []ruleCase{
		{"defined by tunables", prof("  owner @{HOME}/.cache/** rw,\n"), nil},
		{"undefined", prof("  @{NOPE}/** r,\n"), []int{4}},
		{"no tunables", "profile a {\n  @{HOME}/x r,\n}\n", []int{2}},
		{"missing include hides it", "include <tunables/nothing>\nprofile a {\n  @{NOPE}/x r,\n}\n", nil},
		{"builtin", prof("  /run/@{profile_name}/ r,\n"), nil},
		{"local definition", "include <tunables/global>\n@{APP}=/opt/app\nprofile a {\n  include <abstractions/base>\n  @{APP}/** r,\n}\n", nil},
	})
}
