package apparmor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// TestParserInvocation checks how apparmor_parser is run, with a stand-in
// that records its arguments: -Q (never load into a kernel) and -K (no
// cache) always, the include directories, and a copy of the linted text.
func TestParserInvocation(t *testing.T) {
	dir := t.TempDir()
	record := filepath.Join(dir, "args")
	script := filepath.Join(dir, "apparmor_parser")
	body := "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + record + "\nfor a; do last=$a; done\ncat \"$last\" >> " + record + "\npwd >> " + record + "\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	inc := filepath.Join(dir, "inc")
	if err := os.Mkdir(inc, 0o755); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	src := prof("  /srv/** r,\n")
	f := &lint.File{Path: "sub/p", Abs: filepath.Join(root, "sub", "p"), Content: []byte(src)}
	ctx := checkCtx(root)
	ctx.Config.Lint.AppArmor.Parser = script
	ctx.Config.Lint.AppArmor.Includes = []string{inc}
	if fs := newChecker(sysroot).Check(ctx, f); len(fs) != 0 {
		t.Fatalf("unexpected findings: %v", fs)
	}
	b, err := os.ReadFile(record)
	if err != nil {
		t.Fatalf("the parser did not run: %v", err)
	}
	out := string(b)
	for _, want := range []string{"-Q\n", "-K\n", "-I\n" + inc + "\n", "profile test {", filepath.Join(root, "sub") + "\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("invocation lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"-r\n", "-a\n", "-R\n", "--replace", "--add", "--remove"} {
		if strings.Contains(out, bad) {
			t.Errorf("invocation must not load policy (%q):\n%s", bad, out)
		}
	}
}

func TestParserTimeout(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "apparmor_parser")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexec sleep 30\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	old := parserTimeout
	parserTimeout = 300 * time.Millisecond
	defer func() { parserTimeout = old }()
	start := time.Now()
	fs := lintWith(t, "profile", prof(""), script)
	if time.Since(start) > 10*time.Second {
		t.Errorf("the timeout was not enforced")
	}
	if len(fs) != 1 || fs[0].Severity != lint.Warning || !strings.Contains(fs[0].Message, "did not finish") {
		t.Errorf("want one warning about the timeout:\n%s", dump(fs))
	}
}
