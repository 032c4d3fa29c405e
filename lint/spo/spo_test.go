package spo

import (
	"flag"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/secprof/secprof/docs"
	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/linttest"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

// asRun wraps the checker so that a test run also has the SeccompProfile
// files without a baseProfileName among its files, as it has when the
// seccomp checker (which detects them) is part of the run.
type asRun struct{ *Checker }

func (c asRun) Detect(f *lint.File) bool { return IsSeccompProfileObject(f) }

func (c asRun) Check(ctx *lint.Context, f *lint.File) []lint.Finding {
	if !c.Checker.Detect(f) {
		return nil
	}
	return c.Checker.Check(ctx, f)
}

// workspace lints with the checker as it runs in secprof lint (asRun).
type workspace struct{ *linttest.Workspace }

func newWorkspace(t testing.TB) workspace { return workspace{linttest.NewWorkspace(t)} }

// offline is a checker that pulls nothing (an empty cache, offline).
func offline(t testing.TB) *Checker {
	return New(WithPuller(&Puller{CacheDir: filepath.Join(t.TempDir(), "cache"), Offline: true}))
}

func (w workspace) lint(c *Checker, paths ...string) []lint.Finding {
	return w.Lint(asRun{c}, paths...)
}

type want struct {
	at       string // file:line:col
	contains string
}

func expect(t *testing.T, fs []lint.Finding, id string, ws ...want) {
	t.Helper()
	got := linttest.Only(fs, id)
	if len(got) != len(ws) {
		t.Fatalf("%s: got %d findings, want %d:\n%s", id, len(got), len(ws), linttest.Render(fs))
	}
	for i, w := range ws {
		f := got[i]
		if at := f.File + ":" + strconv.Itoa(f.Line) + ":" + strconv.Itoa(f.Column); at != w.at {
			t.Errorf("%s #%d at %s, want %s: %s", id, i, at, w.at, f)
		}
		if !strings.Contains(f.Message, w.contains) {
			t.Errorf("%s #%d: %q does not contain %q", id, i, f.Message, w.contains)
		}
	}
}

// TestFixtures lints fixtures/spo offline (oci:// bases cannot be pulled)
// and compares with testdata/fixtures.golden; each bad fixture triggers the
// rule it is named after.
func TestFixtures(t *testing.T) {
	w := newWorkspace(t)
	linttest.CopyTree(t, "../../fixtures/spo", filepath.Join(w.Root, "spo"))
	got := linttest.Render(w.lint(offline(t), "spo"))
	if linttest.Golden(t, "testdata/fixtures.golden", got, *update) {
		return
	}
	for _, r := range lint.AllRules() {
		if !strings.HasPrefix(r.ID, "spo/") {
			continue
		}
		bad := "spo/bad/" + strings.TrimPrefix(r.ID, "spo/") + ".yaml"
		if !strings.Contains(got, bad+":") || !hasLine(got, bad, r.ID) {
			t.Errorf("fixtures/%s does not trigger %s", bad, r.ID)
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if l != "" && !strings.HasPrefix(l, "spo/bad/") {
			t.Errorf("finding on a good fixture: %s", l)
		}
	}
	if !hasLine(got, "spo/bad/composition.yaml", "seccomp/redundant-rule") {
		t.Errorf("the composition fixture shows no composed-profile finding")
	}
}

func hasLine(out, file, rule string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, file+":") && strings.HasSuffix(l, "["+rule+"]") {
			return true
		}
	}
	return false
}

// TestRuleDocs checks the examples of every spo/ rule page: each Bad
// example (a self-contained set of SeccompProfile objects) triggers its
// rule, each Good one does not.
func TestRuleDocs(t *testing.T) {
	linttest.CheckRuleDocsWith(t, "spo/", func(t *testing.T, _ string, ex docs.Example) []lint.Finding {
		name := ex.Name
		if name == "" {
			name = "profile.yaml"
		}
		w := newWorkspace(t)
		w.Write(name, ex.Code)
		return w.lint(offline(t))
	})
}
