package apparmor

import (
	"reflect"
	"testing"
)

func TestProfileNames(t *testing.T) {
	names, err := ProfileNames([]byte("include <tunables/global>\nprofile a { ^h { } profile c { } }\n/usr/bin/b { }\n"))
	if err != nil || !reflect.DeepEqual(names, []string{"a", "/usr/bin/b"}) {
		t.Errorf("names %v, %v", names, err)
	}
	names, err = ProfileNames([]byte("profile a {\n /x rw\n}\nprofile b { }\n"))
	if err == nil || !reflect.DeepEqual(names, []string{"a", "b"}) {
		t.Errorf("with a syntax error: names %v, err %v", names, err)
	}
}

func TestPermissions(t *testing.T) {
	src := prof(`  capability chown,
  deny capability sys_admin,
  owner @{HOME}/.cache/** rw,
  deny /etc/** w,
  network inet stream,
  deny network raw,
  signal (receive, send) peer=other,
  profile child {
    capability,
  }
`)
	pol := Load("p", []byte(src), WithSystemDir(sysroot))
	perms := pol.Permissions()
	if len(perms) != 2 || perms[0].Name != "test" || perms[1].Name != "test//child" {
		t.Fatalf("profiles %+v", perms)
	}
	p := perms[0]
	if !reflect.DeepEqual(p.Capabilities, []string{"chown"}) || !reflect.DeepEqual(p.DeniedCapabilities, []string{"sys_admin"}) {
		t.Errorf("caps %v denied %v", p.Capabilities, p.DeniedCapabilities)
	}
	wantRules := []string{"deny network raw", "network inet stream", "signal (receive, send) peer=other"}
	if !reflect.DeepEqual(p.Rules, wantRules) {
		t.Errorf("rules %q, want %q", p.Rules, wantRules)
	}
	var home *FileAccess
	for i, f := range p.Files {
		if f.Owner {
			home = &p.Files[i]
		}
	}
	if home == nil || home.Path != "{/home//*/,/root/}/.cache/**" || home.Perms != "rw" || home.Origin != "p:6" {
		t.Errorf("home access %+v", home)
	}
	if !reflect.DeepEqual(perms[1].Capabilities, []string{"*"}) {
		t.Errorf("child caps %v", perms[1].Capabilities)
	}
}
