package apparmor

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/lint"
)

// benchProfile is the docker-default-like fixture followed by a few
// hundred ordinary rules: a large but realistic profile.
func benchProfile(b *testing.B) []byte {
	src, err := os.ReadFile(filepath.Join(fixtures, "docker-default"))
	if err != nil {
		b.Fatal(err)
	}
	var extra strings.Builder
	extra.WriteString("\nprofile bench-app /usr/bin/bench-app flags=(attach_disconnected) {\n  #include <abstractions/base>\n  #include <abstractions/nameservice>\n")
	for i := 0; i < 300; i++ {
		n := itoa(i)
		extra.WriteString("  owner /srv/app" + n + "/{data,cache}/** rwk,\n  /usr/lib/app" + n + "/*.so mr,\n  deny /srv/app" + n + "/secret w,\n")
	}
	extra.WriteString("  network inet stream,\n  capability net_bind_service,\n  signal (receive) peer=unconfined,\n}\n")
	return append(src, extra.String()...)
}

// BenchmarkParse measures the parser, the loader and the whole checker on
// one large profile, against a baseline in the same run: splitting the
// same text into lines and blank-separated fields, the least any parser
// must do. With apparmor_parser installed it is measured on the same file
// too, and reports how many times slower it is than the whole checker.
func BenchmarkParse(b *testing.B) {
	src := benchProfile(b)
	b.Run("baseline-fields", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sc := bufio.NewScanner(bytes.NewReader(src))
			n := 0
			for sc.Scan() {
				n += len(strings.Fields(sc.Text()))
			}
			if n == 0 {
				b.Fatal("no fields")
			}
		}
	})
	b.Run("parse", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := Parse("bench", src); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("load", func(b *testing.B) {
		cache := NewFileCache()
		b.SetBytes(int64(len(src)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if pol := Load("bench", src, WithSystemDir(sysroot), WithFileCache(cache)); !pol.Accepted() {
				b.Fatal(problemsText(pol))
			}
		}
	})
	var checkNs float64
	b.Run("check", func(b *testing.B) {
		c := newChecker(sysroot)
		cfg := config.Default()
		cfg.Lint.AppArmor.Parser = "off"
		ctx := &lint.Context{Context: context.Background(), Config: cfg, Root: b.TempDir()}
		f := lint.NewFile("bench", src)
		b.SetBytes(int64(len(src)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			c.Check(ctx, f)
		}
		checkNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("apparmor_parser", func(b *testing.B) {
		parser, _ := ParserPath("auto")
		if parser == "" {
			b.Skip("apparmor_parser is not installed")
		}
		file := filepath.Join(b.TempDir(), "bench")
		if err := os.WriteFile(file, src, 0o644); err != nil {
			b.Fatal(err)
		}
		base, _ := filepath.Abs(sysroot)
		for i := 0; i < b.N; i++ {
			if v := runParserArgs(parser, file, "-I", base); !v.ok {
				b.Fatal(v.detail)
			}
		}
		if checkNs > 0 {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/checkNs, "x-slower-than-check")
		}
	})
}
