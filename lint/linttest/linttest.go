// Package linttest holds test helpers shared by the checkers' tests, so
// that every checker's rule docs are verified the same way.
package linttest

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/docs"
	"github.com/secprof/secprof/lint"
)

// Lint runs checker c on one in-memory file with configuration cfg (nil for
// defaults) and returns its findings after defaults/overrides are applied.
func Lint(t testing.TB, c lint.Checker, cfg *config.File, name, content string) []lint.Finding {
	t.Helper()
	if cfg == nil {
		cfg = config.Default()
	}
	f := lint.NewFile(name, []byte(content))
	if !c.Detect(f) {
		t.Fatalf("%s: checker %s does not detect this content", name, c.Name())
	}
	ctx := &lint.Context{Context: context.Background(), Config: cfg, Root: t.TempDir(), Files: []*lint.File{f}}
	fs := lint.Apply(cfg, c.Check(ctx, f))
	lint.SortFindings(fs)
	return fs
}

// HasRule reports whether some finding is of rule id.
func HasRule(fs []lint.Finding, id string) bool {
	for _, f := range fs {
		if f.Rule == id {
			return true
		}
	}
	return false
}

// CheckRuleDocs verifies, for every registered rule whose ID starts with
// prefix (e.g. "seccomp/"), that docs/rules/<id>.md exists, that each
// "## Bad" example makes c report the rule and that each "## Good" example
// does not. cfg may adapt the configuration per rule (nil for defaults).
func CheckRuleDocs(t *testing.T, prefix string, c lint.Checker, cfg func(ruleID string) *config.File) {
	t.Helper()
	CheckRuleDocsWith(t, prefix, func(t *testing.T, ruleID string, ex docs.Example) []lint.Finding {
		var c2 *config.File
		if cfg != nil {
			c2 = cfg(ruleID)
		}
		name := ex.Name
		if name == "" {
			name = "example." + ex.Lang
		}
		return Lint(t, c, c2, name, ex.Code)
	})
}

// CheckRuleDocsWith is CheckRuleDocs for checkers whose examples need more
// than one in-memory file (a Workspace with the files a rule looks for):
// lintExample lints one example and returns all its findings.
func CheckRuleDocsWith(t *testing.T, prefix string, lintExample func(t *testing.T, ruleID string, ex docs.Example) []lint.Finding) {
	t.Helper()
	n := 0
	for _, r := range lint.AllRules() {
		if !strings.HasPrefix(r.ID, prefix) {
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
				fs := lintExample(t, r.ID, ex)
				switch ex.Section {
				case "Bad":
					bad++
					if !HasRule(fs, r.ID) {
						t.Errorf("docs line %d: bad example does not trigger %s; got:\n%s", ex.Line, r.ID, Render(fs))
					}
				case "Good":
					good++
					if HasRule(fs, r.ID) {
						t.Errorf("docs line %d: good example triggers %s:\n%s", ex.Line, r.ID, Render(fs))
					}
				}
			}
			if bad == 0 || good == 0 {
				t.Errorf("docs/rules/%s.md needs a ## Bad and a ## Good example (has %d bad, %d good)", r.ID, bad, good)
			}
		})
	}
	if n == 0 {
		t.Fatalf("no rules registered with prefix %q", prefix)
	}
}

// Render lists findings one a line, as the text report does.
func Render(fs []lint.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Only keeps the findings of rule id.
func Only(fs []lint.Finding, id string) []lint.Finding {
	var out []lint.Finding
	for _, f := range fs {
		if f.Rule == id {
			out = append(out, f)
		}
	}
	return out
}

// Golden compares got with the golden file at path, or rewrites the file
// when update (go test -update) and reports that it did.
func Golden(t testing.TB, path, got string, update bool) (updated bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return true
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\ngot:\n%swant:\n%s", path, got, want)
	}
	return false
}

// Workspace is a lint root on disk, for rules that read other files of
// the workspace (the profiles a manifest references, base profiles).
type Workspace struct {
	t      testing.TB
	Root   string
	Config *config.File // the run's configuration (default: config.Default)
}

// NewWorkspace makes an empty workspace in a temporary directory.
func NewWorkspace(t testing.TB) *Workspace {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &Workspace{t: t, Root: root, Config: config.Default()}
}

// Write writes content to name (slash-separated, relative to the root),
// making its directories, and returns the file's path.
func (w *Workspace) Write(name, content string) string {
	w.t.Helper()
	p := filepath.Join(w.Root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		w.t.Fatal(err)
	}
	return p
}

// CopyTree copies the files below from into to (fixtures into a
// workspace).
func CopyTree(t testing.TB, from, to string) {
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

// Lint runs the real runner with checker c on paths (relative to the
// root; none means the whole workspace) and returns the findings.
func (w *Workspace) Lint(c lint.Checker, paths ...string) []lint.Finding {
	w.t.Helper()
	if len(paths) == 0 {
		paths = []string{"."}
	}
	abs := make([]string, len(paths))
	for i, p := range paths {
		abs[i] = filepath.Join(w.Root, filepath.FromSlash(p))
	}
	res, err := lint.Run(context.Background(), lint.Options{Root: w.Root, Config: w.Config, Checkers: []lint.Checker{c}}, abs)
	if err != nil {
		w.t.Fatal(err)
	}
	return res.Findings
}
