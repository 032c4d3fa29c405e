package spo

import (
	"context"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/docs"
	"github.com/secprof/secprof/lint"
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

type workspace struct {
	t    testing.TB
	root string
	cfg  *config.File
}

func newWorkspace(t testing.TB) *workspace {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &workspace{t: t, root: root, cfg: config.Default()}
}

func (w *workspace) write(name, content string) {
	w.t.Helper()
	p := filepath.Join(w.root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// offline is a checker that pulls nothing (an empty cache, offline).
func offline(t testing.TB) *Checker {
	return New(WithPuller(&Puller{CacheDir: filepath.Join(t.TempDir(), "cache"), Offline: true}))
}

func (w *workspace) lint(c *Checker, paths ...string) []lint.Finding {
	w.t.Helper()
	if len(paths) == 0 {
		paths = []string{"."}
	}
	abs := make([]string, len(paths))
	for i, p := range paths {
		abs[i] = filepath.Join(w.root, filepath.FromSlash(p))
	}
	res, err := lint.Run(context.Background(), lint.Options{Root: w.root, Config: w.cfg, Checkers: []lint.Checker{asRun{c}}}, abs)
	if err != nil {
		w.t.Fatal(err)
	}
	return res.Findings
}

func render(fs []lint.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func only(fs []lint.Finding, id string) []lint.Finding {
	var out []lint.Finding
	for _, f := range fs {
		if f.Rule == id {
			out = append(out, f)
		}
	}
	return out
}

type want struct {
	at       string // file:line:col
	contains string
}

func expect(t *testing.T, fs []lint.Finding, id string, ws ...want) {
	t.Helper()
	got := only(fs, id)
	if len(got) != len(ws) {
		t.Fatalf("%s: got %d findings, want %d:\n%s", id, len(got), len(ws), render(fs))
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

func copyTree(t testing.TB, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFixtures lints fixtures/spo offline (oci:// bases cannot be pulled)
// and compares with testdata/fixtures.golden; each bad fixture triggers the
// rule it is named after.
func TestFixtures(t *testing.T) {
	w := newWorkspace(t)
	copyTree(t, "../../fixtures/spo", filepath.Join(w.root, "spo"))
	got := render(w.lint(offline(t), "spo"))
	golden := "testdata/fixtures.golden"
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	wantB, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(wantB) {
		t.Errorf("findings differ from %s:\ngot:\n%swant:\n%s", golden, got, wantB)
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
	n := 0
	for _, r := range lint.AllRules() {
		if !strings.HasPrefix(r.ID, "spo/") {
			continue
		}
		n++
		t.Run(r.ID, func(t *testing.T) {
			page, ok := docs.Rule(r.ID)
			if !ok {
				t.Fatalf("no docs/rules/%s.md", r.ID)
			}
			var bad, good int
			for _, ex := range docs.Examples(page) {
				name := ex.Name
				if name == "" {
					name = "profile.yaml"
				}
				w := newWorkspace(t)
				w.write(name, ex.Code)
				fs := w.lint(offline(t))
				hit := len(only(fs, r.ID)) > 0
				switch ex.Section {
				case "Bad":
					bad++
					if !hit {
						t.Errorf("docs line %d: bad example does not trigger %s:\n%s", ex.Line, r.ID, render(fs))
					}
				case "Good":
					good++
					if hit {
						t.Errorf("docs line %d: good example triggers %s:\n%s", ex.Line, r.ID, render(fs))
					}
				}
			}
			if bad == 0 || good == 0 {
				t.Errorf("docs/rules/%s.md needs a ## Bad and a ## Good example (has %d bad, %d good)", r.ID, bad, good)
			}
		})
	}
	if n == 0 {
		t.Fatal("no spo/ rules")
	}
}
