package spo

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCollectProfiles(t *testing.T) {
	w := newWorkspace(t)
	w.Write("p/base.yaml", spoDoc("base", "", "", "read"))
	w.Write("p/sub/more.yaml", spoDoc("more", "", "", "read"))
	w.Write("p/.hidden/skip.yaml", spoDoc("hidden", "", "", "read"))
	w.Write("p/pod.yaml", "apiVersion: v1\nkind: Pod\n")
	w.Write("p/binary.yaml", "kind: SeccompProfile\x00\n")
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "evil.yaml"), []byte(spoDoc("evil", "", "", "read")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "evil.yaml"), filepath.Join(w.Root, "p/evil.yaml")); err != nil {
		t.Fatal(err)
	}
	files, err := CollectProfiles(w.Root, []string{filepath.Join(w.Root, "p")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Path)
	}
	if len(got) != 2 || got[0] != "p/base.yaml" || got[1] != "p/sub/more.yaml" {
		t.Errorf("collected %v", got)
	}
	if _, err := CollectProfiles(w.Root, []string{outside}); err == nil {
		t.Errorf("a directory outside the workspace was read")
	}
	if _, err := ReadFile(w.Root, filepath.Join(w.Root, "p/evil.yaml")); err == nil {
		t.Errorf("a link out of the workspace was read")
	}
}
