package apparmor

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// The differential test holds this parser to apparmor_parser: over every
// profile, abstraction and tunable that Debian's apparmor,
// apparmor-profiles and apparmor-profiles-extra packages install, both must
// agree on accept/reject. Abstractions are rejected by apparmor_parser when
// given alone (rules outside a profile), which keeps the test two-sided.

var corpusPackages = []string{"apparmor", "apparmor-profiles", "apparmor-profiles-extra"}

// corpusDirs are the directories whose files are policy (the packages also
// install binaries, docs and the features file).
var corpusDirs = []string{"/etc/apparmor.d/", "/usr/share/apparmor/extra-profiles/"}

// needParser returns the apparmor_parser path, or skips the test; in CI
// (CI=true) a missing parser fails instead, so that the differential test
// cannot silently stop running.
func needParser(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("apparmor_parser")
	if err != nil {
		p = "/sbin/apparmor_parser"
		if _, err := os.Stat(p); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("apparmor_parser is not installed: the differential test must run in CI (install the Debian package apparmor)")
			}
			t.Skip("apparmor_parser is not installed (Debian package apparmor); skipping the differential test")
		}
	}
	return p
}

// corpus lists the policy files the Debian packages install.
func corpus(t testing.TB) []string {
	t.Helper()
	var files []string
	seen := map[string]bool{}
	for _, pkg := range corpusPackages {
		out, err := exec.Command("dpkg", "-L", pkg).Output()
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("dpkg -L %s: %v: the differential corpus needs the Debian packages %s", pkg, err, strings.Join(corpusPackages, ", "))
			}
			t.Skipf("dpkg -L %s: %v (install %s); skipping", pkg, err, strings.Join(corpusPackages, ", "))
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			p := sc.Text()
			in := false
			for _, d := range corpusDirs {
				in = in || strings.HasPrefix(p, d)
			}
			if !in || seen[p] {
				continue
			}
			if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
				continue
			}
			seen[p] = true
			files = append(files, p)
		}
	}
	sort.Strings(files)
	if len(files) < 100 {
		t.Fatalf("only %d policy files found in %v; are the packages installed?", len(files), corpusPackages)
	}
	return files
}

type verdict struct {
	ok     bool
	detail string
}

func runParser(parser, file string) verdict { return runParserArgs(parser, file) }

func runParserArgs(parser, file string, args ...string) verdict {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, parser, append(append([]string{"-QK"}, args...), file)...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	return verdict{ok: err == nil, detail: strings.TrimSpace(filterParserNoise(stderr.String()))}
}

var corpusCache = NewFileCache()

func ours(file string) verdict {
	src, err := os.ReadFile(file)
	if err != nil {
		return verdict{detail: err.Error()}
	}
	pol := Load(file, src, WithBaseDir(filepath.Dir(file)), WithFileCache(corpusCache))
	var msgs []string
	for _, p := range pol.Problems {
		if p.Kind != ProblemWarning && p.Kind != ProblemIncludeLoop {
			msgs = append(msgs, p.Err.Error())
		}
	}
	// apparmor_parser judges a file as the whole policy, not as a fragment
	ok := pol.Accepted() && !pol.Fragment
	if pol.Fragment {
		msgs = append(msgs, "rules outside of a profile")
	}
	return verdict{ok: ok, detail: strings.Join(msgs, "; ")}
}

func TestDifferential(t *testing.T) {
	parser := needParser(t)
	files := corpus(t)

	start := time.Now()
	mine := make([]verdict, len(files))
	for i, f := range files {
		mine[i] = ours(f)
	}
	oursTime := time.Since(start)

	start = time.Now()
	theirs := make([]verdict, len(files))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, f := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			theirs[i] = runParser(parser, f)
		}()
	}
	wg.Wait()
	theirTime := time.Since(start)

	accepted := 0
	for i, f := range files {
		if theirs[i].ok {
			accepted++
		}
		if mine[i].ok != theirs[i].ok {
			t.Errorf("%s: secprof accepts=%v, apparmor_parser accepts=%v\n  secprof: %s\n  apparmor_parser: %s", f, mine[i].ok, theirs[i].ok, mine[i].detail, theirs[i].detail)
		}
	}
	if accepted == 0 || accepted == len(files) {
		t.Errorf("the corpus should hold both accepted and rejected files (accepted %d of %d)", accepted, len(files))
	}
	t.Logf("%d files (%d accepted by apparmor_parser); secprof %v, apparmor_parser %v (%d workers): secprof is %.0fx faster",
		len(files), accepted, oursTime, theirTime, runtime.GOMAXPROCS(0), float64(theirTime)/float64(oursTime))
	if oursTime*10 > theirTime {
		t.Errorf("secprof (%v) should be at least 10x faster than apparmor_parser (%v) on the corpus", oursTime, theirTime)
	}
}

// BenchmarkCorpus compares this parser with apparmor_parser -QK on the
// same files in the same run: the apparmor_parser sub-benchmark reports
// how many times slower it is.
func BenchmarkCorpus(b *testing.B) {
	parser := needParser(b)
	files := corpus(b)
	srcs := make([][]byte, len(files))
	for i, f := range files {
		var err error
		if srcs[i], err = os.ReadFile(f); err != nil {
			b.Fatal(err)
		}
	}
	var oursNs float64
	b.Run("secprof", func(b *testing.B) {
		cache := NewFileCache()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			for j, f := range files {
				Load(f, srcs[j], WithBaseDir(filepath.Dir(f)), WithFileCache(cache))
			}
		}
		oursNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("apparmor_parser", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, f := range files {
				runParser(parser, f)
			}
		}
		theirNs := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		if oursNs > 0 {
			b.ReportMetric(theirNs/oursNs, "x-slower-than-secprof")
		}
	})
}
