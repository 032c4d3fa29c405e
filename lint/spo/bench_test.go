package spo

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/seccomp"
)

func benchChain(b *testing.B) (LocalIndex, []*lint.File) {
	var files []*lint.File
	for _, name := range []string{"runc-base.yaml", "echo-server.yaml", "app.yaml"} {
		p := filepath.Join("../../fixtures/spo", name)
		c, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, lint.NewFile(p, c))
	}
	return NewLocalIndex(files), files
}

// BenchmarkComposition resolves, flattens and lints the composition of the
// echo-server chain (three profiles); BenchmarkBaselineLintAlone lints the
// same three profiles one by one, what the seccomp checker does anyway.
func BenchmarkComposition(b *testing.B) {
	idx, _ := benchChain(b)
	r := &Resolver{Local: idx.Find}
	p := idx.Find("echo-server", "apps")
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		chain, problems := r.Resolve(ctx, p)
		if len(problems) > 0 || len(chain) != 3 {
			b.Fatal(problems)
		}
		_ = Flatten(chain).OverrideFindings()
		_ = lintComposition(chain, seccomp.Containerd)
	}
}

func BenchmarkBaselineLintAlone(b *testing.B) {
	idx, _ := benchChain(b)
	var ps []*seccomp.Profile
	for _, name := range []string{"echo-server", "go-runtime", "runc-v1.1.5"} {
		ps = append(ps, idx.Find(name, "apps"))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, p := range ps {
			_ = seccomp.Lint(p, seccomp.Containerd)
		}
	}
}
