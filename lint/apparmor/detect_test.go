package apparmor

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/secprof/secprof/lint"
)

func TestDetect(t *testing.T) {
	yes := map[string]string{
		"seed":           "#include <tunables/global>\nprofile x flags=(attach_disconnected) {\n  file,\n}\n",
		"broken profile": "profile x {\n  /tmp/** rw\n",
		"path profile":   "/usr/bin/foo {\n  /etc/foo r,\n}\n",
		"abstraction":    "# an abstraction\n/etc/hosts r,\nnetwork inet stream,\n",
		"tunables":       "@{HOMEDIRS}=/home/\n",
		"local include":  "include if exists <local/foo>\n",
		"spo":            "apiVersion: security-profiles-operator.x-k8s.io/v1alpha1\nkind: AppArmorProfile\nspec:\n  policy: |\n    profile x {}\n",
	}
	no := map[string]string{
		"empty":                       "",
		"c":                           "#include <stdio.h>\nint main(void) { return 0; }\n",
		"css":                         "/* header */\nbody {\n  color: red;\n}\n",
		"shell":                       "#!/bin/sh\nset -e\necho hello, world\n",
		"markdown":                    "# Title\n\nSome text, with commas, and more.\n",
		"seccomp":                     "{\"defaultAction\": \"SCMP_ACT_ERRNO\"}\n",
		"pod":                         "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n",
		"go":                          "package main\n\nfunc main() {\n}\n",
		"makefile":                    "all:\n\tgo build ./...\n",
		"yaml":                        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n",
		"ini":                         "[section]\nkey = value\n",
		"csv":                         "a,b,c\n1,2,3\n",
		"script with a here-document": "#!/bin/sh\napparmor_parser -q <<EOF\n#include <tunables/global>\nprofile x {\n  file,\n}\nEOF\n",
		"markdown with a profile":     "# Profiles\n\n```apparmor\nprofile x {\n  file,\n}\n```\n",
		"prose around a profile":      "Here is how to write one.\nFirst, load it on every node.\nThen, reference it.\nIt is easy, isn't it?\nNote: it works.\nMore: here.\nAnd: there.\nprofile x {\n  file,\n}\nThat's all, folks.\n",
	}
	for name, src := range yes {
		if !Detect(lint.NewFile(name, []byte(src))) {
			t.Errorf("%s: not detected", name)
		}
	}
	for name, src := range no {
		if Detect(lint.NewFile(name, []byte(src))) {
			t.Errorf("%s: detected as AppArmor policy", name)
		}
	}
}

// TestDetectCorpus: every profile, abstraction and tunables file Debian
// installs is detected (files with nothing but comments need not be).
func TestDetectCorpus(t *testing.T) {
	files := []string{}
	for _, d := range corpusDirs {
		_ = filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
			if err == nil && e.Type().IsRegular() && !skipIncludeName(e.Name()) && filepath.Base(filepath.Dir(p)) != "abi" {
				files = append(files, p)
			}
			return nil
		})
	}
	if len(files) == 0 {
		t.Skip("no AppArmor policy installed")
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil || len(b) == 0 {
			continue
		}
		f := lint.NewFile(p, b)
		if lint.IsBinary(b) || len(parse(p, b).Stmts) == 0 {
			continue // comments only: nothing to lint
		}
		if !Detect(f) {
			t.Errorf("%s: not detected", p)
		}
	}
}

// TestAbstractionMode: files meant to be included are linted as the body of
// a profile with tunables/global, not rejected for having rules outside a
// profile or variables nobody defined.
func TestAbstractionMode(t *testing.T) {
	cases := map[string]string{
		"abstractions/app":  "owner @{HOME}/.app/** rw,\n",
		"abstractions/meta": "include <abstractions/nameservice>\n",
		"abstractions/prof": "profile helper {\n  include <abstractions/base>\n  @{HOME}/x r,\n}\n",
		"apache2.d/hat":     "^hat {\n  include <abstractions/base>\n  @{PROC}/@{pid}/stat r,\n}\n",
		"snippets/rules":    "include <abstractions/base>\n/srv/** r,\n",
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			if fs := lintWith(t, name, src, "off"); len(fs) != 0 {
				t.Errorf("want no findings:\n%s", dump(fs))
			}
		})
	}
	// a profile file that forgets tunables/global is not an abstraction
	fs := lintWith(t, "profiles/app", "profile app {\n  include <abstractions/base>\n  @{HOME}/x r,\n}\n", "off")
	if len(ruleLines(fs, "apparmor/undefined-variable")) == 0 {
		t.Errorf("want undefined-variable:\n%s", dump(fs))
	}
}
