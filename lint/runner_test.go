package lint_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/lint"
)

func init() {
	lint.RegisterRules(lint.Rule{ID: "fake/found", Severity: lint.Warning, Summary: "fake checker finding"})
}

// fakeChecker handles files whose content starts with "FAKE" and reports
// one finding per line containing "bad".
type fakeChecker struct{}

func (fakeChecker) Name() string { return "fake" }
func (fakeChecker) Detect(f *lint.File) bool {
	return strings.HasPrefix(string(f.Content), "FAKE")
}
func (fakeChecker) Check(_ *lint.Context, f *lint.File) []lint.Finding {
	var out []lint.Finding
	for i, l := range strings.Split(string(f.Content), "\n") {
		if c := strings.Index(l, "bad"); c >= 0 {
			out = append(out, lint.At(f.Path, "fake/found", lint.Span{Start: lint.Pos{Line: i + 1, Col: c + 1}}, "bad here"))
		}
	}
	return out
}

func write(t *testing.T, root, rel, content string) string {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, root string, cfg *config.File, paths ...string) (*lint.Result, []string, error) {
	t.Helper()
	var notes []string
	res, err := lint.Run(context.Background(), lint.Options{
		Root: root, Config: cfg, Checkers: []lint.Checker{fakeChecker{}},
		Verbose: func(f string, a ...any) { notes = append(notes, strings.TrimSpace(fmt.Sprintf(f, a...))) },
	}, paths)
	return res, notes, err
}

func TestRunWalksDetectsAndSorts(t *testing.T) {
	root := t.TempDir()
	write(t, root, "b/two.txt", "FAKE\nok\nbad\n")
	write(t, root, "a/one.json", "FAKE bad\n")
	write(t, root, "a/other.json", `{"not": "ours"}`)
	write(t, root, "a/bin.dat", "FAKE\x00\x01\x02")
	write(t, root, ".git/config", "FAKE bad")
	res, notes, err := run(t, root, nil, root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.String())
	}
	want := []string{
		"a/one.json:1:6: warning: bad here [fake/found]",
		"b/two.txt:3:1: warning: bad here [fake/found]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if res.Linted != 2 {
		t.Errorf("linted %d files, want 2", res.Linted)
	}
	joined := strings.Join(notes, "\n")
	for _, w := range []string{"a/other.json: skipped: not a profile", "a/bin.dat: skipped: binary content"} {
		if !strings.Contains(joined, w) {
			t.Errorf("verbose notes lack %q:\n%s", w, joined)
		}
	}
	if strings.Contains(joined, ".git") {
		t.Errorf("hidden directories must not be walked:\n%s", joined)
	}
}

func TestRunConfigOverrides(t *testing.T) {
	root := t.TempDir()
	write(t, root, "keep/x.txt", "FAKE bad")
	write(t, root, "vendorish/gen/y.txt", "FAKE bad")
	cfg := config.Default()
	cfg.Lint.Ignore = []string{"vendorish/**"}
	cfg.Lint.Severity = map[string]string{"fake/found": "error"}
	res, _, err := run(t, root, cfg, root)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].File != "keep/x.txt" || res.Findings[0].Severity != lint.Error {
		t.Errorf("got %v", res.Findings)
	}
	cfg.Lint.Exceptions = []config.Exception{{Path: "keep/*.txt", Rules: []string{"fake/found"}, Reason: "on purpose"}}
	res, _, _ = run(t, root, cfg, root)
	if len(res.Findings) != 0 {
		t.Errorf("excepted finding still reported: %v", res.Findings)
	}
	cfg.Lint.Exceptions = nil
	cfg.Lint.Disable = []string{"fake/found"}
	res, _, _ = run(t, root, cfg, root)
	if len(res.Findings) != 0 {
		t.Errorf("disabled rule still reported: %v", res.Findings)
	}
}

func TestRunRefusesPathsOutsideWorkspace(t *testing.T) {
	outside := t.TempDir()
	secret := write(t, outside, "secret.txt", "FAKE bad")
	root := t.TempDir()
	if err := os.Symlink(secret, filepath.Join(root, "link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "dirlink")); err != nil {
		t.Fatal(err)
	}
	write(t, root, "in.txt", "FAKE bad")

	// named explicitly: an error, exit 2 in the CLI
	_, _, err := run(t, root, nil, filepath.Join(root, "link.txt"))
	var ie *lint.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "outside the workspace") {
		t.Errorf("link out of the workspace: got %v", err)
	}
	_, _, err = run(t, root, nil, secret)
	if !errors.As(err, &ie) {
		t.Errorf("file out of the workspace: got %v", err)
	}
	// found while walking: skipped, never read
	res, notes, err := run(t, root, nil, root)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].File != "in.txt" {
		t.Errorf("got %v (notes %v)", res.Findings, notes)
	}
}

func TestRunMissingAndHugeFiles(t *testing.T) {
	root := t.TempDir()
	_, _, err := run(t, root, nil, filepath.Join(root, "nope.json"))
	if err == nil || !strings.Contains(err.Error(), "nope.json") {
		t.Errorf("missing file: %v", err)
	}
	big := filepath.Join(root, "big.json")
	fh, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := fh.Truncate(lint.MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	_, _, err = run(t, root, nil, big)
	if err == nil || !strings.Contains(err.Error(), "big.json") || !strings.Contains(err.Error(), "more than") {
		t.Errorf("huge file: %v", err)
	}
}

func TestRunCancelled(t *testing.T) {
	root := t.TempDir()
	write(t, root, "x.txt", "FAKE bad")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := lint.Run(ctx, lint.Options{Root: root, Checkers: []lint.Checker{fakeChecker{}}}, []string{root})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
}
