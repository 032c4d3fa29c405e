package apparmor

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/lint"
)

// FuzzParse feeds arbitrary text to the parser, the loader (includes from
// the fixture tree, variable expansion), every rule and ProfileNames: no
// panic, positions inside the input, bounded time.
func FuzzParse(f *testing.F) {
	for _, s := range snippets {
		f.Add([]byte(s.src))
	}
	_ = filepath.WalkDir(fixtures, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
		return nil
	})
	f.Add([]byte("@{A}={@{B},@{B}}\n@{B}={@{C},@{C}}\n@{C}={x,y,z}\nprofile p { /@{A}/@{A}/@{A}/** rw, }\n"))
	f.Add([]byte("profile p { if $a { } else if $b { } else if $c { } else { } }\n"))
	f.Add([]byte("profile p { include \"fuzz\" include <abstractions/base> include <abstractions> }\n"))
	f.Add([]byte("kind: AppArmorProfile\nmetadata:\n  name: p\nspec:\n  policy: |\n    profile q { capability, }\n"))
	root := f.TempDir()
	c := newChecker(sysroot)
	cfg := config.Default()
	cfg.Lint.AppArmor.Parser = "off"
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		pf, _ := Parse("fuzz", data)
		checkSpans(t, pf, data)
		lf := lint.NewFile("fuzz", data)
		c.Detect(lf)
		ctx := &lint.Context{Context: context.Background(), Config: cfg, Root: root}
		for _, x := range c.Check(ctx, lf) {
			if x.Line < 1 || x.Column < 1 {
				t.Fatalf("finding without a position: %v", x)
			}
		}
		_, _ = ProfileNames(data)
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("%d bytes took %v", len(data), d)
		}
	})
}

// checkSpans checks that every node's span lies inside the input.
func checkSpans(t *testing.T, f *File, src []byte) {
	t.Helper()
	lines := strings.Count(string(src), "\n") + 1
	check := func(what string, sp Span) {
		for _, p := range []Pos{sp.Start, sp.End} {
			if p.Line < 1 || p.Line > lines || p.Col < 1 || p.Offset < 0 || p.Offset > len(src) {
				t.Fatalf("%s: position %+v outside the input (%d lines, %d bytes)", what, p, lines, len(src))
			}
		}
		if sp.End.Offset < sp.Start.Offset {
			t.Fatalf("%s: span ends before it starts: %+v", what, sp)
		}
	}
	var walk func([]Stmt)
	walk = func(ss []Stmt) {
		for _, s := range ss {
			check("statement", SpanOf(s))
			switch s := s.(type) {
			case *Profile:
				check("profile name", s.Name.Span)
				for _, w := range s.Flags {
					check("flag", w.Span)
				}
				walk(s.Body)
			case *Block:
				walk(s.Body)
			case *If:
				walk(s.Then)
				walk(s.Else)
			case *FileRule:
				if !s.Bare {
					check("path", s.Path.Span)
					check("perms", s.PermsWord.Span)
				}
			case *CapabilityRule:
				for _, w := range s.Caps {
					check("capability", w.Span)
				}
			case *ClassRule:
				for _, w := range s.Args {
					check("argument", w.Span)
				}
				for _, c := range s.Conds {
					check("conditional", c.Span)
				}
			}
		}
	}
	walk(f.Stmts)
	for _, c := range f.Comments {
		check("comment", c.Span)
	}
	for _, e := range append(append([]*Error{}, f.Errors...), f.Warnings...) {
		check("error", e.Span)
	}
}

// TestHostileInput lints inputs built to be expensive: everything must
// finish quickly.
func TestHostileInput(t *testing.T) {
	var b strings.Builder
	cases := map[string]string{}
	b.WriteString("profile p {\n")
	for i := 0; i < 20000; i++ {
		b.WriteString("  /srv/d" + itoa(i) + "/** ux,\n  deny /srv/x" + itoa(i) + "/** x,\n  network raw,\n  deny network inet raw,\n  capability sys_admin,\n")
	}
	b.WriteString("}\n")
	cases["many rules"] = b.String()
	cases["one long line"] = "profile p { " + strings.Repeat("/a r, ", 200000) + "}\n"
	cases["deep nesting"] = strings.Repeat("profile p { ", 10000) + strings.Repeat("}", 10000)
	cases["deep else-if"] = "profile p { if $a { }" + strings.Repeat(" else if $a { }", 10000) + " }\n"
	cases["alternations"] = "profile p { /" + strings.Repeat("{a,b}", 5000) + " r, }\n"
	cases["nested braces"] = "profile p { /" + strings.Repeat("{", 5000) + strings.Repeat("}", 5000) + " r, }\n"
	var v strings.Builder
	v.WriteString("@{A0}=" + strings.Repeat("x", 60000) + "\n")
	for i := 1; i < 40; i++ {
		v.WriteString("@{A" + itoa(i) + "}=@{A" + itoa(i-1) + "} @{A" + itoa(i-1) + "}\n")
	}
	v.WriteString("profile p {\n" + strings.Repeat("  /@{A39} r,\n  /@{A0}/@{A0} r,\n", 2000) + "}\n")
	cases["variable growth"] = v.String()
	cases["unterminated"] = "profile p { \"" + strings.Repeat("a", 1<<20)
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			c := newChecker(sysroot)
			cfg := config.Default()
			cfg.Lint.AppArmor.Parser = "off"
			ctx := &lint.Context{Context: context.Background(), Config: cfg, Root: t.TempDir()}
			fs := c.Check(ctx, lint.NewFile("p", []byte(src)))
			if name == "many rules" {
				truncated := false
				for _, f := range fs {
					truncated = truncated || (f.Rule == ruleParse && strings.Contains(f.Message, "too large to analyse"))
				}
				if !truncated {
					t.Error("the work budget should run out and be reported")
				}
			}
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("took %v", d)
			} else {
				t.Logf("%d bytes in %v", len(src), d)
			}
		})
	}
}
