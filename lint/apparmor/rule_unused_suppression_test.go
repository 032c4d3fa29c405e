package apparmor

import "testing"

func TestSuppression(t *testing.T) {
	runRuleCases(t, "apparmor/broad-write", []ruleCase{
		{"same line", prof("  /** w, # secprof:ignore apparmor/broad-write the tool writes everywhere\n"), nil},
		{"line above", prof("  # secprof:ignore apparmor/broad-write the tool writes everywhere\n  /** w,\n"), nil},
		{"other rule", prof("  /** w, # secprof:ignore apparmor/raw-network nope\n"), []int{4}},
		{"two lines above", prof("  # secprof:ignore apparmor/broad-write too far\n\n  /** w,\n"), []int{6}},
		{"trailing comment of the line above", prof("  /tmp/** w, # secprof:ignore apparmor/broad-write\n  /** w,\n"), []int{5}},
		{"list", prof("  network, # secprof:ignore apparmor/raw-network,apparmor/broad-write why\n"), nil},
	})
	runRuleCases(t, "apparmor/unused-suppression", []ruleCase{
		{"used", prof("  /** w, # secprof:ignore apparmor/broad-write reason\n"), nil},
		{"unused", prof("  /tmp/** w, # secprof:ignore apparmor/broad-write reason\n"), []int{4}},
		{"no rule", prof("  # secprof:ignore\n  /tmp/** w,\n"), []int{4}},
		{"parser not run", prof("  # secprof:ignore apparmor/parser-rejected\n  /tmp/** w,\n"), nil},
		{"other marker", prof("  # secprof:ignored apparmor/broad-write\n  /tmp/** w,\n"), nil},
	})
}
