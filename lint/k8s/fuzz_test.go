package k8s

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/lint"
)

// FuzzParseManifest feeds arbitrary bytes to the manifest parser and to
// every rule: no input may panic or hang, and every finding must carry a
// position inside the file.
func FuzzParseManifest(f *testing.F) {
	for _, glob := range []string{"testdata/*/*.yaml", "testdata/*/*.json", "../../fixtures/pods/*.yaml", "../../fixtures/pods/*/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("kind: Pod\nspec: &a {containers: [*a]}\n"))
	f.Add([]byte("kind: List\nitems: [{kind: Pod, spec: {containers: [{name: x, securityContext: {<<: {privileged: true}}}]}}]\n"))
	root := f.TempDir()
	cfg := config.Default()
	cfg.Profiles.Seccomp = filepath.Join(root, "seccomp")
	checker := New()
	f.Fuzz(func(t *testing.T, b []byte) {
		file := lint.NewFile("fuzz.yaml", b)
		ws, perr := ParseManifest(file)
		if perr != nil && (perr.Pos.Line < 1 || perr.Pos.Col < 1) {
			t.Fatalf("parse error without a position: %+v", perr)
		}
		for _, w := range ws {
			_ = w.Settings()
		}
		ctx := &lint.Context{Context: context.Background(), Config: cfg, Root: root, Files: []*lint.File{file}}
		lines := 1
		for _, c := range b {
			if c == '\n' {
				lines++
			}
		}
		for _, fd := range checker.Check(ctx, file) {
			if fd.Line < 1 || fd.Line > lines || fd.Column < 1 {
				t.Fatalf("finding outside the file (%d lines): %s", lines, fd)
			}
		}
	})
}
