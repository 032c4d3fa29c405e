package apparmor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secprof/secprof/lint"
)

func TestParserRejected(t *testing.T) {
	needParser(t)
	cases := []struct {
		name  string
		src   string
		lines []int
		msg   string
	}{
		{"accepted", prof("  /tmp/** rw,\n"), nil, ""},
		{"unknown capability", prof("  capability sys_admn,\n"), []int{4}, "Invalid capability"},
		{"unknown flag", "include <tunables/global>\nprofile a flags=(bogus) {\n  include <abstractions/base>\n}\n", []int{2}, "Invalid profile flag"},
		{"unknown network", prof("  network bogus,\n"), []int{4}, "network"},
		// a syntax error secprof reports itself: apparmor_parser is not asked
		{"own error", prof("  /tmp/** rwa,\n"), nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := lintWith(t, "profile", c.src, "auto")
			got := ruleLines(fs, "apparmor/parser-rejected")
			if len(got) != len(c.lines) || (len(got) > 0 && got[0] != c.lines[0]) {
				t.Fatalf("parser-rejected at %v, want %v:\n%s", got, c.lines, dump(fs))
			}
			for _, f := range fs {
				if f.Rule == "apparmor/parser-rejected" && !strings.Contains(f.Message, c.msg) {
					t.Errorf("message %q should mention %q", f.Message, c.msg)
				}
			}
		})
	}
}

// TestParserRejectedInclude maps an error inside an included file of the
// workspace to the include statement.
func TestParserRejectedInclude(t *testing.T) {
	needParser(t)
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "extra.inc"), []byte("  capability sys_admn,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := prof("  include \"extra.inc\"\n")
	f := &lint.File{Path: "p", Abs: filepath.Join(root, "p"), Content: []byte(src)}
	c := newChecker(sysroot)
	ctx := checkCtx(root)
	ctx.Config.Lint.AppArmor.Parser = "auto"
	fs := lint.Apply(ctx.Config, c.Check(ctx, f))
	got := ruleLines(fs, "apparmor/parser-rejected")
	if len(got) != 1 || got[0] != 4 {
		t.Fatalf("parser-rejected at %v, want [4] (the include):\n%s", got, dump(fs))
	}
	for _, x := range fs {
		if x.Rule == "apparmor/parser-rejected" && !strings.Contains(x.Message, "extra.inc:1") {
			t.Errorf("message should name extra.inc:1: %s", x.Message)
		}
	}
}

func TestParserPath(t *testing.T) {
	if p, err := ParserPath("off"); p != "" || err != nil {
		t.Errorf("off: %q %v", p, err)
	}
	if _, err := ParserPath("/nonexistent/apparmor_parser"); err == nil {
		t.Error("a missing explicit parser must be an error")
	}
	if _, err := ParserPath(t.TempDir()); err == nil {
		t.Error("a directory is not a parser")
	}
	fs := lintWith(t, "profile", prof(""), "/nonexistent/apparmor_parser")
	got := ruleLines(fs, "apparmor/parser-rejected")
	if len(got) != 1 || fs[0].Severity != lint.Warning || !strings.Contains(fs[0].Message, "no verdict") {
		t.Errorf("an unusable parser gives a warning that says there is no verdict:\n%s", dump(fs))
	}
}
