package apparmor

import "testing"

func TestAllCapabilities(t *testing.T) {
	runRuleCases(t, "apparmor/all-capabilities", []ruleCase{
		{"bare", prof("  capability,\n"), []int{4}},
		{"named", prof("  capability chown setuid,\n"), nil},
		{"bare denied", prof("  capability,\n  deny capability,\n"), nil},
		{"bare minus some", prof("  capability,\n  deny capability sys_admin,\n"), []int{4}},
		{"all", prof("  all,\n"), []int{4}},
		{"deny bare", prof("  deny capability,\n"), nil},
		{"audit bare", prof("  audit capability,\n"), []int{4}},
	})
}
