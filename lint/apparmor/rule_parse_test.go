package apparmor

import (
	"testing"

	"github.com/secprof/secprof/lint"
)

func TestParseRule(t *testing.T) {
	runRuleCases(t, "apparmor/parse", []ruleCase{
		{"fine", prof("  /tmp/** rw,\n"), nil},
		{"missing comma", prof("  /tmp/** rw\n  /etc/hosts r,\n"), []int{5}},
		{"missing brace", "profile a {\n  /tmp/** rw,\n", []int{3}},
		{"bad perms", prof("  /tmp/** rwa,\n"), []int{4}},
		{"variable inside profile", prof("  @{X}=/a\n"), []int{4}},
		{"unknown capability warns", prof("  capability sys_admn,\n"), []int{4}},
	})
	fs := lintPolicy(t, prof("  capability sys_admn,\n"))
	for _, f := range fs {
		if f.Rule == "apparmor/parse" && f.Severity != lint.Warning {
			t.Errorf("an unknown name is a warning (apparmor_parser decides): %v", f)
		}
	}
	// an error in an included file is reported at the include
	fs = lintPolicy(t, "include <tunables/global>\nprofile a {\n  include <abstractions/base>\n  include if exists <tunables/global>\n}\n")
	if got := ruleLines(fs, "apparmor/parse"); len(got) == 0 || got[0] != 4 {
		t.Errorf("variables included into a profile should be reported at the include (line 4): %s", dump(fs))
	}
}
