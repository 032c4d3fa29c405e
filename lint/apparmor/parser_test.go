package apparmor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// snippets are small policies with the verdict apparmor_parser gives. The
// ones marked newer use AppArmor 4 syntax: secprof accepts them, an older
// apparmor_parser (Debian bookworm has 3.0) may not; they are not compared.
var snippets = []struct {
	name   string
	src    string
	ok     bool
	newer  bool
	errSub string // part of secprof's first error message
}{
	{"empty", "", true, false, ""},
	{"comment only", "# nothing\n", true, false, ""},
	{"seed", "#include <tunables/global>\nprofile k8s-apparmor-example-deny-write flags=(attach_disconnected) {\n  #include <abstractions/base>\n  file,\n  # Deny all file writes.\n  deny /** w,\n}\n", true, false, ""},
	{"bare name needs keyword", "foo { }\n", false, false, "profile names must begin"},
	{"named", "profile foo { }\n", true, false, ""},
	{"path profile", "/usr/bin/foo { }\n", true, false, ""},
	{"quoted path profile", "\"/usr/bin/foo\" { }\n", true, false, ""},
	{"namespace", ":ns:foo { }\n", true, false, ""},
	{"hat top", "^foo { }\n", true, false, ""},
	{"hats and children", "profile foo { hat bar { } ^baz { } profile qux { } }\n", true, false, ""},
	{"child without keyword", "profile foo { /bin/x { } }\n", false, false, "needs the keyword"},
	{"attachment", "profile foo /usr/bin/foo { }\n", true, false, ""},
	{"bad attachment", "profile foo bar { }\n", false, false, "attachment"},
	{"two attachments", "profile foo /bin/x /bin/y { }\n", false, false, "expecting '{'"},
	{"flags", "profile foo flags=(complain, attach_disconnected) { }\n", true, false, ""},
	{"flags without keyword", "profile foo (complain) { }\n", true, false, ""},
	{"conflicting flags", "profile foo flags=(complain, kill) { }\n", false, false, "conflicts"},
	{"conflicting path flags", "profile foo flags=(attach_disconnected, no_attach_disconnected) { }\n", false, false, "conflicts"},
	{"repeated flag", "profile foo flags=(complain, complain) { }\n", true, false, ""},
	{"missing brace", "profile foo {\n", false, false, "end of file"},
	{"extra brace", "profile foo { } }\n", false, false, "outside of any profile"},
	{"duplicate profile", "profile foo { }\nprofile foo { }\n", false, false, "more than once"},
	{"perms first", "profile foo { r /a, }\n", true, false, ""},
	{"file keyword", "profile foo { file r /a, file /b r, file, }\n", true, false, ""},
	{"qualifiers", "profile foo { audit deny owner /a r, }\n", true, false, ""},
	{"qualifier order", "profile foo { deny audit /a r, }\n", false, false, "out of order"},
	{"owner on capability", "profile foo { owner capability chown, }\n", false, false, "not allowed"},
	{"owner on signal", "profile foo { owner signal, }\n", false, false, "not allowed"},
	{"owner block and link", "profile foo { owner { /a r, } owner link /a -> /b, }\n", true, false, ""},
	{"exec transitions", "profile foo { /a px -> bar, /b Pix, /c pux, /d PUx, /e cux, /f Cx -> foo//c, /g ix, /h rmix, }\n", true, false, ""},
	{"conflicting exec", "profile foo { /bin/ls ruxpx, }\n", false, false, "conflicts"},
	{"bare x", "profile foo { /a x, }\n", false, false, "must be preceded"},
	{"deny bare x", "profile foo { deny /a x, }\n", true, false, ""},
	{"deny ix", "profile foo { deny /a ix, }\n", false, false, "deny rules"},
	{"w and a", "profile foo { /a rwa, }\n", false, false, "mutually exclusive"},
	{"uppercase modes", "profile foo { /a RW, }\n", true, false, ""},
	{"no perms", "profile foo { /bin/ls, }\n", false, false, "permissions"},
	{"missing comma", "profile foo {\n /a r,\n /b w\n}\n", false, false, "expecting ','"},
	{"comma before brace", "profile foo { /a r,}\n", true, false, ""},
	{"capability comma brace", "profile foo { capability,}\n", true, false, ""},
	{"space before comma", "profile foo { /bin/ls rw , }\n", true, false, ""},
	{"quoted path", "profile foo { \"/a b\" r, /c\\ d r, }\n", true, false, ""},
	{"alternation", "profile foo { /a{b,c} r, /d/{,e/}** r, }\n", true, false, ""},
	{"unclosed alternation", "profile foo { /a{b,c r, }\n", false, false, "unclosed"},
	{"unclosed class", "profile foo { /a[b r, }\n", false, false, "unclosed"},
	{"relative path", "profile foo { a r, }\n", false, false, "path"},
	{"relative path 2", "profile foo { foo r, }\n", true, false, ""},
	{"hash in path", "profile foo { /a#b r, }\n", true, false, ""},
	{"trailing comment", "profile foo { capability sys_admin#x\n, }\n", true, false, ""},
	{"comment after brace", "profile foo { /a r, }#comment\n", true, false, ""},
	{"link", "profile foo { link /a -> /b, link subset /c -> /d, /e l -> /f, }\n", true, false, ""},
	{"capabilities", "profile foo { capability, capability sys_admin net_admin, deny capability sys_module, }\n", true, false, ""},
	{"capability list with commas", "profile foo { capability sys_admin, net_admin, }\n", false, false, "net_admin"},
	{"network", "profile foo { network, network inet, network inet stream, network inet tcp, network raw, network packet, network tcp, network bluetooth, }\n", true, false, ""},
	{"network three words", "profile foo { network inet stream tcp, }\n", false, false, "unexpected 'tcp'"},
	{"mount", "profile foo { mount, mount fstype=proc -> /proc/, mount options=(rw, bind) /a/ -> /b/, mount options in (ro, rw) /dev/sda1 -> /mnt/, remount /, umount /mnt/, unmount /x/, pivot_root oldroot=/old/ /new/ -> bar, }\n", true, false, ""},
	{"signal ptrace", "profile foo { signal, signal (send, receive) set=(term, kill) peer=bar, ptrace (trace, read) peer=foo, ptrace readby, }\n", true, false, ""},
	{"dbus", "profile foo { dbus, dbus send bus=session path=/org/a interface=org.a.B member={Hello,AddMatch} peer=(name=org.freedesktop.DBus label=unconfined), dbus (bind) bus=system name=org.x, }\n", true, false, ""},
	{"unix", "profile foo { unix, unix (send, receive) type=stream peer=(label=foo addr=\"@/tmp/x\"), unix (bind, listen) type=dgram addr=@foo, }\n", true, false, ""},
	{"change_profile", "profile foo { change_profile, change_profile -> bar, change_profile /bin/a -> b//c, change_profile -> php-fpm//*, }\n", true, false, ""},
	{"rlimit", "profile foo { set rlimit nofile <= 1024, set rlimit as <= 1GB, set rlimit cpu <= infinity, }\n", true, false, ""},
	{"variables", "@{A}=/a /b\n@{A}+=/c\n@{B}=@{A}/x\nprofile foo { @{B} r, @{A}/** r, }\n", true, false, ""},
	{"variable continuation", "@{A}=/a \\\n /b\nprofile foo { @{A} r, }\n", true, false, ""},
	{"variable trailing comma", "@{A}=/a,\nprofile foo { @{A} r, }\n", false, false, "trailing commas"},
	{"variable no value", "@{A}=\nprofile foo { /a r, }\n", false, false, "no value"},
	{"variable redefined", "@{A}=/a\n@{A}=/b\nprofile foo { @{A} r, }\n", false, false, "previously declared"},
	{"variable append undefined", "@{A}+=/a\nprofile foo { @{A} r, }\n", false, false, "not previously declared"},
	{"variable undefined", "profile foo { @{FOO} r, }\n", false, false, "never defined"},
	{"variable recursive", "@{A}=@{A}\nprofile foo { @{A} r, }\n", false, false, "recursively"},
	{"variable unused undefined ref", "@{A}=@{B}\nprofile foo { /a r, }\n", true, false, ""},
	{"variable after profile", "profile foo { /a r, }\n@{X}=/a\n", false, false, "before the first profile"},
	{"variable in profile", "profile foo { @{X}=/a\n }\n", false, false, "inside a profile"},
	{"at variable", "@A=/x\nprofile foo { @{A} r, }\n", true, false, ""},
	{"profile_name", "profile foo { @{profile_name} r, }\n", true, false, ""},
	{"bool and if", "$FOO=true\nprofile foo { if $FOO { /a r, } else { /b r, } }\n", true, false, ""},
	{"alias", "alias /usr/ -> /mnt/usr/,\nprofile foo { /a r, }\n", true, false, ""},
	{"include", "include <tunables/global>\nprofile foo { include <abstractions/base> }\n", true, false, ""},
	{"include missing", "profile foo { include <abstractions/nonexist> }\n", false, false, "not found"},
	{"include if exists missing", "profile foo { include if exists <abstractions/nonexist> }\n", true, false, ""},
	{"hash include if exists", "profile foo {\n #include if exists <local/nothing>\n}\n", true, false, ""},
	{"include directory", "include <tunables/global>\nprofile foo { include <abstractions> }\n", true, false, ""},
	{"include directory without tunables", "profile foo { include <abstractions> }\n", false, false, "never defined"},
	{"rules outside profile", "/a r,\n", false, false, "inside a profile"},
	{"tunables only", "@{X}=/a\n", true, false, ""},
	{"abi", "abi <abi/3.0>,\nprofile foo { abi <abi/3.0>, }\n", false, false, "not found"},
	{"block", "profile foo { owner { /a w, /b w, } audit { /c r, } }\n", true, false, ""},
	{"deny block", "profile foo { deny { /a w, /b w, } }\n", true, true, ""},
	{"unknown flag", "profile foo flags=(bogus) { }\n", false, false, ""},
	{"unknown capability", "profile foo { capability foo, }\n", false, false, ""},
	{"unknown network", "profile foo { network foo, }\n", false, false, ""},
	{"unterminated quote", "profile foo { \"/a r, }\n", false, false, "unterminated"},
	// apparmor_parser takes a NUL byte as part of a path; secprof refuses
	// binary content (divergent: not compared)
	{"nul byte", "profile foo { /a\x00 r, }\n", false, true, "NUL"},
	{"userns", "profile foo { userns, userns create, }\n", true, true, ""},
	{"all", "profile foo { all, }\n", true, true, ""},
	{"mqueue", "profile foo { mqueue, mqueue (open, read) type=posix /name, }\n", true, true, ""},
	{"io_uring", "profile foo { io_uring, io_uring sqpoll label=foo, }\n", true, true, ""},
	{"priority", "profile foo { priority=1 /a r, priority=-5 deny /b w, }\n", true, true, ""},
	{"network perms", "profile foo { network (bind) inet, }\n", true, true, ""},
	{"unknown rule kind", "profile foo { frobnicate the thing, }\n", true, true, ""},
}

const sysroot = "testdata/sysroot"

// verdict of secprof on a snippet: unknown names are warnings, and the
// unknown-flag/capability/network snippets expect apparmor_parser's
// rejection, which secprof leaves to it.
func snippetVerdict(t *testing.T, src string) (*Policy, bool) {
	t.Helper()
	pol := Load("snippet", []byte(src), WithSystemDir(sysroot))
	return pol, pol.Accepted() && !pol.Fragment
}

func TestSnippets(t *testing.T) {
	for _, s := range snippets {
		t.Run(s.name, func(t *testing.T) {
			pol, ok := snippetVerdict(t, s.src)
			want := s.ok
			if strings.HasPrefix(s.name, "unknown ") {
				// kept, with a warning; apparmor_parser decides
				want = true
				warned := false
				for _, p := range pol.Problems {
					warned = warned || p.Kind == ProblemWarning
				}
				if !warned {
					t.Errorf("expected a warning for %q; problems: %v", s.src, pol.Problems)
				}
			}
			if ok != want {
				t.Fatalf("accept=%v, want %v; problems: %v", ok, want, problemsText(pol))
			}
			if s.errSub != "" {
				if !strings.Contains(problemsText(pol), s.errSub) {
					t.Errorf("want an error containing %q, got %s", s.errSub, problemsText(pol))
				}
			}
		})
	}
}

func problemsText(pol *Policy) string {
	var b []string
	for _, p := range pol.Problems {
		b = append(b, p.Err.Error())
	}
	if pol.Fragment {
		b = append(b, "fragment: rules must be inside a profile")
	}
	return strings.Join(b, "; ")
}

// TestSnippetsAgainstParser runs the snippets through apparmor_parser too:
// both must agree, except on newer syntax.
func TestSnippetsAgainstParser(t *testing.T) {
	parser := needParser(t)
	dir := t.TempDir()
	base, err := filepath.Abs(sysroot)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range snippets {
		if s.newer {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			file := filepath.Join(dir, "snippet"+itoa(i))
			if err := os.WriteFile(file, []byte(s.src), 0o644); err != nil {
				t.Fatal(err)
			}
			v := runParserArgs(parser, file, "--base", base)
			if v.ok != s.ok {
				t.Errorf("apparmor_parser accept=%v, the table says %v: %s", v.ok, s.ok, v.detail)
			}
		})
	}
}

func TestPositions(t *testing.T) {
	src := "# héllo\nprofile föö /usr/bin/föö flags=(complain) {\n  /ü/** rw,\n  capability sys_admin,\n}\n"
	f, err := Parse("x", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p := f.Stmts[0].(*Profile)
	if got := p.Name.Start; got.Line != 2 || got.Col != 9 {
		t.Errorf("name at %d:%d, want 2:9", got.Line, got.Col)
	}
	if got := p.Attachment.Start; got.Line != 2 || got.Col != 13 {
		t.Errorf("attachment at %d:%d, want 2:13", got.Line, got.Col)
	}
	if got := p.Flags[0].Start; got.Col != 33 {
		t.Errorf("flag at col %d, want 33 (columns count characters)", got.Col)
	}
	r := p.Body[0].(*FileRule)
	if r.Start.Line != 3 || r.Start.Col != 3 || r.End.Col != 12 {
		t.Errorf("rule span %v, want 3:3-3:12", r.Span)
	}
	if r.PermsWord.Start.Col != 9 || r.Perms.String() != "rw" {
		t.Errorf("perms %q at col %d", r.Perms.String(), r.PermsWord.Start.Col)
	}
	c := p.Body[1].(*CapabilityRule)
	if c.Caps[0].Start.Line != 4 || c.Caps[0].Start.Col != 14 {
		t.Errorf("capability at %d:%d", c.Caps[0].Start.Line, c.Caps[0].Start.Col)
	}
	if len(f.Comments) != 1 || f.Comments[0].Text != " héllo" {
		t.Errorf("comments %+v", f.Comments)
	}
}

func TestRuleShapes(t *testing.T) {
	src := `profile p {
  owner /a/** rwk -> x,
  ix /bin/sh,
  mount options=(rw,bind) /src/ -> /dst/,
  signal (send) set=(term kill) peer=other,
  unix (connect) type=stream peer=(label=foo addr=@bar),
  change_profile unsafe /bin/x -> y,
  deny network inet raw,
}
`
	f, err := Parse("x", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	body := f.Stmts[0].(*Profile).Body
	fr := body[0].(*FileRule)
	if fr.Owner != "owner" || fr.Path.Text != "/a/**" || !fr.Perms.Lock || fr.Target.Text != "x" {
		t.Errorf("file rule %+v", fr)
	}
	if pf := body[1].(*FileRule); !pf.PermsFirst || pf.Perms.Exec != "ix" || pf.Path.Text != "/bin/sh" {
		t.Errorf("perms-first rule %+v", pf)
	}
	m := body[2].(*ClassRule)
	if m.Class != "mount" || len(m.Conds) != 1 || len(m.Conds[0].Values) != 2 || m.Args[0].Text != "/src/" || m.Target.Text != "/dst/" {
		t.Errorf("mount %+v", m)
	}
	s := body[3].(*ClassRule)
	if s.Perms[0].Text != "send" || s.Cond("set") == nil || len(s.Cond("set").Values) != 2 || s.Cond("peer").Values[0].Text != "other" {
		t.Errorf("signal %+v", s)
	}
	u := body[4].(*ClassRule)
	if pc := u.Cond("peer"); pc == nil || len(pc.Sub) != 2 || pc.Sub[1].Values[0].Text != "@bar" {
		t.Errorf("unix peer %+v", u.Cond("peer"))
	}
	cp := body[5].(*ChangeProfileRule)
	if cp.ExecMode != "unsafe" || cp.Exec.Text != "/bin/x" || cp.Target.Text != "y" {
		t.Errorf("change_profile %+v", cp)
	}
	n := body[6].(*ClassRule)
	if !n.Deny() || len(n.Args) != 2 || n.Args[1].Text != "raw" {
		t.Errorf("network %+v", n)
	}
}

func TestIncludeLoopAndDedupe(t *testing.T) {
	dir := t.TempDir()
	must := func(name, body string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must("abstractions/a", "include <abstractions/b>\n/a r,\n")
	must("abstractions/b", "include <abstractions/a>\n/b r,\n")
	src := "profile foo {\n  include <abstractions/a>\n  include <abstractions/a>\n}\n"
	pol := Load("p", []byte(src), WithSystemDir(dir))
	loops := 0
	for _, p := range pol.Problems {
		if p.Kind == ProblemIncludeLoop {
			loops++
			if p.Via == nil || p.Via.Start.Line != 2 {
				t.Errorf("loop not reported through the include on line 2: %+v", p)
			}
		}
	}
	if loops != 1 {
		t.Errorf("want one include-loop problem, got %s", problemsText(pol))
	}
	if !pol.Accepted() {
		t.Errorf("apparmor_parser accepts include loops (it skips repeated includes): %s", problemsText(pol))
	}
	if n := len(pol.Profiles[0].Entries); n != 2 {
		t.Errorf("entries %d, want 2 (each file once)", n)
	}
}

func TestIncludeConfinement(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("/x r,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"absolute":   `include "` + filepath.Join(outside, "secret") + `"`,
		"dotdot":     `include <../` + filepath.Base(outside) + `/secret>`,
		"symlink":    `include "link"`,
		"relative..": `include "../` + filepath.Base(outside) + `/secret"`,
	}
	for name, inc := range cases {
		t.Run(name, func(t *testing.T) {
			src := "profile foo {\n  " + inc + "\n}\n"
			pol := Load(filepath.Join(root, "p"), []byte(src), WithSystemDir(""), WithRoot(root), WithIncludeDirs(root))
			if len(pol.Includes) != 0 {
				t.Fatalf("read %v, outside the allowed directories", pol.Includes)
			}
			if !pol.Refused && !pol.Unresolved {
				t.Errorf("include not refused: %s", problemsText(pol))
			}
		})
	}
}
