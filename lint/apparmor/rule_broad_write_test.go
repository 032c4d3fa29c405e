package apparmor

import "testing"

func TestBroadWrite(t *testing.T) {
	runRuleCases(t, "apparmor/broad-write", []ruleCase{
		{"seed: file with deny write", prof("  file,\n  deny /** w,\n"), nil},
		{"bare file", prof("  file,\n"), []int{4}},
		{"root glob", prof("  /** rw,\n"), []int{4}},
		{"root glob perms first", prof("  w /**,\n"), []int{4}},
		{"append", prof("  /** a,\n"), []int{4}},
		{"read only", prof("  /** r,\n"), nil},
		{"tmp", prof("  /tmp/** rw,\n"), nil},
		{"home", prof("  owner @{HOME}/** w,\n"), []int{4}},
		{"home cache", prof("  owner @{HOME}/.cache/** rw,\n"), nil},
		{"proc sys", prof("  @{PROC}/sys/** w,\n"), []int{4}},
		{"sys", prof("  /sys/** rw,\n"), []int{4}},
		{"root dir", prof("  / rw,\n"), []int{4}},
		{"denied partly", prof("  /** rw,\n  deny /etc/** w,\n"), []int{4}},
		{"owner deny does not cover all", prof("  /** w,\n  deny owner /** w,\n"), []int{4}},
		{"owner deny covers owner", prof("  owner /** w,\n  deny owner /** w,\n"), nil},
		{"deny in block", prof("  file,\n  deny {\n    /** w,\n  }\n"), nil},
		{"deny append does not stop write", prof("  /** w,\n  deny /** a,\n"), []int{4}},
		{"deny write stops append", prof("  /** a,\n  deny /** w,\n"), nil},
		{"every first level", prof("  /*/** w,\n"), []int{4}},
	})
}
