package apparmor

import "testing"

func TestUnconfinedExec(t *testing.T) {
	runRuleCases(t, "apparmor/unconfined-exec", []ruleCase{
		{"ix", prof("  /bin/sh ix,\n"), nil},
		{"ux", prof("  /bin/sh ux,\n"), []int{4}},
		{"Ux perms first", prof("  Ux /usr/bin/*,\n"), []int{4}},
		{"pux", prof("  /bin/sh rpux,\n"), []int{4}},
		{"PUx", prof("  /bin/sh PUx,\n"), []int{4}},
		{"cux", prof("  /bin/sh cux,\n"), []int{4}},
		{"denied", prof("  /bin/** ux,\n  deny /bin/** x,\n"), nil},
		{"change_profile unconfined", prof("  change_profile -> unconfined,\n"), []int{4}},
		{"change_profile glob", prof("  change_profile -> **,\n"), []int{4}},
		{"bare change_profile", prof("  change_profile,\n"), []int{4}},
		{"change_profile named", prof("  change_profile -> other,\n"), nil},
		{"deny ux is not an allow", prof("  deny /bin/sh x,\n"), nil},
	})
}
