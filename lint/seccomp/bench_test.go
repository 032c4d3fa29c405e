package seccomp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/lint"
)

// benchFiles are the JSON fixtures plus Debian's default profile.
func benchFiles(b *testing.B) []*lint.File {
	paths, _ := filepath.Glob(filepath.Join(fixturesDir, "*", "*.json"))
	if _, err := os.Stat(debianProfile); err == nil {
		paths = append(paths, debianProfile)
	}
	var files []*lint.File
	for _, p := range paths {
		c, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, lint.NewFile(p, c))
	}
	return files
}

func totalSize(files []*lint.File) int64 {
	var n int64
	for _, f := range files {
		n += int64(len(f.Content))
	}
	return n
}

// BenchmarkLintDir lints every JSON fixture and Debian's default profile:
// detection, parsing with positions, schema validation, every rule,
// libseccomp compilation. Compare with BenchmarkDecodeJSONBaseline.
func BenchmarkLintDir(b *testing.B) {
	files := benchFiles(b)
	cacheOff = true // measure libseccomp's real work on every iteration
	defer func() { cacheOff = false }()
	c := New()
	ctx := &lint.Context{Config: config.Default(), Files: files}
	b.SetBytes(totalSize(files))
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			// fresh File values: the line index is cached per File
			g := lint.NewFile(f.Path, f.Content)
			if c.Detect(g) {
				c.Check(ctx, g)
			}
		}
	}
}

// BenchmarkParseDir is the parsing share of BenchmarkLintDir: positions,
// model and schema validation, no rules.
func BenchmarkParseDir(b *testing.B) {
	files := benchFiles(b)
	b.SetBytes(totalSize(files))
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			ParseFile(lint.NewFile(f.Path, f.Content))
		}
	}
}

// BenchmarkDecodeJSONBaseline decodes the same files with bare
// encoding/json into a generic map: the floor any linter pays.
func BenchmarkDecodeJSONBaseline(b *testing.B) {
	files := benchFiles(b)
	b.SetBytes(totalSize(files))
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			var m map[string]any
			_ = json.Unmarshal(f.Content, &m) // the malformed fixture fails, as it should
		}
	}
}

// BenchmarkLintDebian lints Debian's default profile alone (1000 lines,
// 450 syscalls), cold, every rule and the libseccomp compilation included;
// BenchmarkDecodeDebianBaseline is its encoding/json yardstick.
func BenchmarkLintDebian(b *testing.B) {
	content := debianContent(b)
	cacheOff = true
	defer func() { cacheOff = false }()
	c := New()
	ctx := &lint.Context{Config: config.Default()}
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	for b.Loop() {
		c.Check(ctx, lint.NewFile("seccomp.json", content))
	}
}

func BenchmarkDecodeDebianBaseline(b *testing.B) {
	content := debianContent(b)
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(content, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func debianContent(b *testing.B) []byte {
	content, err := os.ReadFile(debianProfile)
	if os.IsNotExist(err) {
		b.Skipf("%s is absent: install golang-github-containers-common", debianProfile)
	}
	if err != nil {
		b.Fatal(err)
	}
	return content
}
