package apparmor

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/secprof/secprof/lint"
)

func TestIncludeLoopRule(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "a.inc"), []byte("include \"b.inc\"\n/a r,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "b.inc"), []byte("include \"a.inc\"\n/b r,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := "include <tunables/global>\nprofile a {\n  include <abstractions/base>\n  include \"a.inc\"\n}\n"
	f := &lint.File{Path: "p", Abs: filepath.Join(root, "p"), Content: []byte(src)}
	fs := checkIn(t, root, f)
	if got := ruleLines(fs, "apparmor/include-loop"); len(got) != 1 || got[0] != 4 {
		t.Errorf("include-loop at %v, want [4]:\n%s", got, dump(fs))
	}
	if got := ruleLines(fs, "apparmor/parse"); len(got) != 0 {
		t.Errorf("a loop is not a parse error:\n%s", dump(fs))
	}
}
