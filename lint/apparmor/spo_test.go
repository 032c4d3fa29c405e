package apparmor

import (
	"os"
	"strings"
	"testing"

	"github.com/secprof/secprof/lint"
)

func TestSPO(t *testing.T) {
	b, err := os.ReadFile("../../fixtures/apparmor/spo/bad-writer.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := lint.NewFile("bad-writer.yaml", b)
	if !Detect(f) {
		t.Fatal("AppArmorProfile YAML not detected")
	}
	fs := checkIn(t, t.TempDir(), f)
	want := map[string]lint.Pos{
		"apparmor/complain-mode":        {Line: 20, Col: 17},
		"apparmor/no-profile-name":      {Line: 23, Col: 13},
		"apparmor/broad-write":          {Line: 25, Col: 7},
		"apparmor/dangerous-capability": {Line: 26, Col: 18},
		"apparmor/sensitive-path":       {Line: 25, Col: 7},
	}
	got := map[string]lint.Pos{}
	for _, x := range fs {
		got[x.Rule] = lint.Pos{Line: x.Line, Col: x.Column}
		if !strings.HasPrefix(x.Message, "AppArmorProfile writer: ") {
			t.Errorf("message should name the object: %s", x)
		}
	}
	for rule, pos := range want {
		if got[rule] != pos {
			t.Errorf("%s at %v, want %v\n%s", rule, got[rule], pos, dump(fs))
		}
	}
	if len(fs) != len(want) {
		t.Errorf("want %d findings, got:\n%s", len(want), dump(fs))
	}
	// the line reported is the line of the YAML file holding the rule
	for _, x := range fs {
		if x.Rule == "apparmor/broad-write" && !strings.Contains(f.Line(x.Line), "/** rw,") {
			t.Errorf("broad-write points at %q", f.Line(x.Line))
		}
	}
}

func TestSPOGood(t *testing.T) {
	b, err := os.ReadFile("../../fixtures/apparmor/spo/deny-write.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fs := checkIn(t, t.TempDir(), lint.NewFile("deny-write.yaml", b))
	if len(fs) != 0 {
		t.Errorf("want no findings:\n%s", dump(fs))
	}
	names, err := ProfileNames(b)
	if err != nil || len(names) != 1 || names[0] != "k8s-apparmor-example-deny-write" {
		t.Errorf("ProfileNames = %v, %v", names, err)
	}
}

func TestSPOEdgeCases(t *testing.T) {
	cases := map[string]struct {
		src  string
		rule string
		line int
	}{
		"invalid yaml":   {"kind: AppArmorProfile\nspec: [\n", "apparmor/parse", 2},
		"no policy":      {"kind: AppArmorProfile\nmetadata:\n  name: x\nspec: {}\n", "apparmor/parse", 1},
		"abstract only":  {"kind: AppArmorProfile\nmetadata:\n  name: x\nspec:\n  abstract:\n    filesystem: {}\n", "", 0},
		"quoted policy":  {"kind: AppArmorProfile\nmetadata:\n  name: x\nspec:\n  policy: \"profile x {\\n /** w,\\n}\\n\"\n", "apparmor/broad-write", 5},
		"plain one line": {"kind: AppArmorProfile\nmetadata:\n  name: x\nspec:\n  policy: profile x { capability, }\n", "apparmor/all-capabilities", 5},
		"syntax error":   {"kind: AppArmorProfile\nmetadata:\n  name: x\nspec:\n  policy: |\n    profile x {\n      /tmp/** rw\n    }\n", "apparmor/parse", 8},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			fs := checkIn(t, t.TempDir(), lint.NewFile("x.yaml", []byte(c.src)))
			if c.rule == "" {
				if len(fs) != 0 {
					t.Errorf("want nothing:\n%s", dump(fs))
				}
				return
			}
			lines := ruleLines(fs, c.rule)
			if len(lines) == 0 || lines[0] != c.line {
				t.Errorf("%s at %v, want line %d:\n%s", c.rule, lines, c.line, dump(fs))
			}
		})
	}
}
