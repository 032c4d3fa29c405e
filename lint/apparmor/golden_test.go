package apparmor

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/lint"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.txt from the current output")

const fixtures = "../../fixtures/apparmor"

// lintFixtures lints every file under fixtures/apparmor the way `secprof
// lint` would, with the fixture include tree; parser selects
// apparmor_parser ("off" for output that does not depend on the machine).
func lintFixtures(t *testing.T, parser string) []lint.Finding {
	t.Helper()
	root, err := filepath.Abs(fixtures)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Lint.AppArmor.Parser = parser
	c := newChecker(sysroot)
	res, err := lint.Run(context.Background(), lint.Options{Root: root, Config: cfg, Checkers: []lint.Checker{c}}, []string{root})
	if err != nil {
		t.Fatal(err)
	}
	// every fixture must be recognised
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			if _, ok := res.Files[filepath.ToSlash(rel)]; !ok {
				t.Errorf("%s is not detected as AppArmor policy", rel)
			}
		}
		return nil
	})
	return res.Findings
}

func TestGolden(t *testing.T) {
	fs := lintFixtures(t, "off")
	var b strings.Builder
	sys, _ := filepath.Abs(sysroot)
	for _, f := range fs {
		// the fixture include tree's location depends on the checkout
		msg := strings.ReplaceAll(f.Message, sys, "$SYSROOT")
		fmt.Fprintf(&b, "%s:%d:%d-%d:%d: %s: %s [%s]\n", f.File, f.Line, f.Column, f.EndLine, f.EndColumn, f.Severity, msg, f.Rule)
	}
	golden := filepath.Join("testdata", "golden.txt")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update)", err)
	}
	if b.String() != string(want) {
		t.Errorf("output differs from %s (go test -run TestGolden -update rewrites it after review):\n--- got\n%s--- want\n%s", golden, b.String(), want)
	}

	// each bad/<rule>.apparmor fixture shows its rule
	for _, r := range lint.AllRules() {
		if !strings.HasPrefix(r.ID, "apparmor/") || r.ID == ruleParserRejected {
			continue
		}
		name := "bad/" + strings.TrimPrefix(r.ID, "apparmor/") + ".apparmor"
		found := false
		for _, f := range fs {
			found = found || (f.File == name && f.Rule == r.ID)
		}
		if !found {
			t.Errorf("fixture %s does not trigger %s", name, r.ID)
		}
	}
	// the good fixtures of the seed stay clean
	for _, f := range fs {
		if f.File == "k8s-apparmor-example-deny-write" && f.Severity == lint.Error {
			t.Errorf("the seed profile has an error: %v", f)
		}
	}
}

// TestGoldenParser runs the fixtures through apparmor_parser too: only the
// parser-rejected fixture is rejected by it.
func TestGoldenParser(t *testing.T) {
	needParser(t)
	fs := lintFixtures(t, "auto")
	var files []string
	for _, f := range fs {
		if f.Rule == ruleParserRejected {
			files = append(files, f.File+":"+itoa(f.Line)+" "+f.Message)
		}
	}
	if len(files) != 1 || !strings.HasPrefix(files[0], "bad/parser-rejected.apparmor:6 ") {
		t.Errorf("apparmor_parser should reject only bad/parser-rejected.apparmor (at line 6), got %q", files)
	}
}
