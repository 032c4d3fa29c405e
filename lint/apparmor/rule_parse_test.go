package apparmor

import (
	"os"
	"path/filepath"
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

// TestIncludedWarnings: unknown names inside an included file are that
// file's business; syntax errors there still break the including profile.
func TestIncludedWarnings(t *testing.T) {
	root := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("warn.inc", "capability sys_admn,\n")
	write("broken.inc", "/srv/** r\n/tmp/** rw,\n")
	src := prof("  include \"warn.inc\"\n  include \"broken.inc\"\n")
	fs := checkIn(t, root, &lint.File{Path: "p", Abs: filepath.Join(root, "p"), Content: []byte(src)})
	if got := ruleLines(fs, "apparmor/parse"); len(got) != 1 || got[0] != 5 {
		t.Errorf("want one parse error at the include of broken.inc (line 5), got %v:\n%s", got, dump(fs))
	}
}
