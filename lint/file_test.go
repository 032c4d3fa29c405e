package lint

import (
	"fmt"
	"testing"
)

func TestPosAtCountsCharacters(t *testing.T) {
	f := NewFile("x", []byte("ab\nçé x\n\nlast"))
	cases := []struct {
		off  int
		want Pos
	}{{0, Pos{1, 1}}, {2, Pos{1, 3}}, {3, Pos{2, 1}}, {8, Pos{2, 4}}, {10, Pos{3, 1}}, {11, Pos{4, 1}}, {99, Pos{4, 5}}}
	for _, c := range cases {
		if got := f.PosAt(c.off); got != c.want {
			t.Errorf("PosAt(%d) = %v, want %v", c.off, got, c.want)
		}
	}
	if f.Line(2) != "çé x" || f.Line(4) != "last" || f.Line(5) != "" || f.Line(0) != "" {
		t.Errorf("Line: %q %q %q", f.Line(2), f.Line(4), f.Line(5))
	}
}

func TestYAMLKinds(t *testing.T) {
	f := NewFile("x", []byte("apiVersion: v1\nkind: Pod\n---\nkind: \"SeccompProfile\" # c\n  kind: Nested\n"))
	if got := fmt.Sprint(f.YAMLKinds()); got != "[Pod SeccompProfile]" {
		t.Errorf("got %s", got)
	}
	if got := NewFile("x", []byte("# c\n\n- kind: List\nkind: Pod\n")).YAMLKinds(); len(got) != 1 {
		t.Errorf("sequence document: got %v", got)
	}
	goSrc := "package x\n\nconst m = `apiVersion: v1\nkind: SeccompProfile\n`\n"
	if got := NewFile("x_test.go", []byte(goSrc)).YAMLKinds(); got != nil {
		t.Errorf("Go source embedding a manifest is not YAML: %v", got)
	}
	if NewFile("x", []byte(`{"kind": "Pod"}`)).YAMLKinds() != nil {
		t.Error("JSON is not YAML-with-kinds")
	}
}

func TestIsBinary(t *testing.T) {
	if !IsBinary([]byte("a\x00b")) || !IsBinary([]byte{0xff, 0xfe, 'a'}) || IsBinary([]byte("héllo")) {
		t.Error("IsBinary")
	}
}

func TestMatchGlob(t *testing.T) {
	cases := []struct {
		pat, name string
		want      bool
	}{
		{"fixtures/**", "fixtures/seccomp/bad/x.json", true},
		{"**/bad/*.json", "fixtures/seccomp/bad/x.json", true},
		{"**/bad/*.json", "bad/x.json", true},
		{"*.json", "a/x.json", false},
		{"a/*/c", "a/b/c", true},
		{"a/**/c", "a/c", true},
		{"a/[", "a/[", false},
	}
	for _, c := range cases {
		if got := MatchGlob(c.pat, c.name); got != c.want {
			t.Errorf("MatchGlob(%q, %q) = %v", c.pat, c.name, got)
		}
	}
}
