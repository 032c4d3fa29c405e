package k8s

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/secprof/secprof/lint"
)

// benchFiles are the fixtures' manifests, as a lint run would see them.
func benchFiles(b *testing.B) []*lint.File {
	var out []*lint.File
	for _, glob := range []string{"../../fixtures/pods/*.yaml", "../../fixtures/pods/*/*.yaml", "testdata/*/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			c, err := os.ReadFile(p)
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, lint.NewFile(p, c))
		}
	}
	if len(out) == 0 {
		b.Fatal("no files")
	}
	return out
}

// BenchmarkCheck lints the fixtures with every k8s rule (profile index
// included); BenchmarkBaselineYAMLDecode decodes the same files with bare
// yaml.v3 into generic maps, the least any YAML linter must do.
func BenchmarkCheck(b *testing.B) {
	files := benchFiles(b)
	w := newWorkspace(b, defaultConfig)
	c := New()
	var size int64
	for _, f := range files {
		size += int64(len(f.Content))
	}
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// A fresh context per iteration: the profile index is rebuilt, as
		// in a real run.
		ctx := &lint.Context{Context: context.Background(), Config: w.Config, Root: w.Root, Files: files}
		for _, f := range files {
			c.Check(ctx, f)
		}
	}
}

func BenchmarkBaselineYAMLDecode(b *testing.B) {
	files := benchFiles(b)
	var size int64
	for _, f := range files {
		size += int64(len(f.Content))
	}
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, f := range files {
			dec := yaml.NewDecoder(bytes.NewReader(f.Content))
			for {
				var v map[string]any
				if err := dec.Decode(&v); err != nil {
					if !errors.Is(err, io.EOF) {
						_ = err // the malformed fixture
					}
					break
				}
			}
		}
	}
}
