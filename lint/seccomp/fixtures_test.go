package seccomp

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/lint"
)

var update = flag.Bool("update", false, "rewrite testdata/fixtures.golden")

const fixturesDir = "../../fixtures/seccomp"

// lintFixtures lints fixtures/seccomp with the runner, as `secprof lint`
// does, for runtime rt.
func lintFixtures(t testing.TB, rt Runtime) *lint.Result {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Lint.Runtime = string(rt)
	res, err := lint.Run(context.Background(), lint.Options{Root: root, Config: cfg, Checkers: []lint.Checker{New()}}, []string{filepath.Join(root, "fixtures/seccomp")})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func render(fs []lint.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		end := ""
		if f.EndLine > 0 {
			end = fmt.Sprintf("-%d:%d", f.EndLine, f.EndColumn)
		}
		fmt.Fprintf(&b, "%s:%d:%d%s: %s: %s [%s]\n", f.File, f.Line, f.Column, end, f.Severity, f.Message, f.Rule)
		if f.Fix != "" {
			fmt.Fprintf(&b, "\tfix: %s\n", f.Fix)
		}
	}
	return b.String()
}

// TestFixturesGolden lints every fixture and compares with
// testdata/fixtures.golden; `go test ./lint/seccomp -run Golden -update`
// rewrites it after a deliberate change.
func TestFixturesGolden(t *testing.T) {
	var b strings.Builder
	for _, rt := range []Runtime{Containerd, CRIO, Docker} {
		res := lintFixtures(t, rt)
		fmt.Fprintf(&b, "## lint.runtime: %s (%d files)\n", rt, res.Linted)
		b.WriteString(render(res.Findings))
	}
	got := b.String()
	const golden = "testdata/fixtures.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d (run with -update if the change is deliberate):\n got: %s\nwant: %s", golden, i+1, g, w)
			}
		}
	}
}

// TestBadFixtures checks that fixtures/seccomp/bad/<name>.json triggers
// seccomp/<name>, and that the good profile draws nothing above info.
func TestBadFixtures(t *testing.T) {
	res := lintFixtures(t, Containerd)
	byFile := map[string][]lint.Finding{}
	for _, f := range res.Findings {
		byFile[f.File] = append(byFile[f.File], f)
	}
	bad, _ := filepath.Glob(filepath.Join(fixturesDir, "bad", "*.json"))
	if len(bad) < 20 {
		t.Errorf("%d bad fixtures, want one per rule", len(bad))
	}
	for _, path := range bad {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		rel := "fixtures/seccomp/bad/" + filepath.Base(path)
		found := false
		for _, f := range byFile[rel] {
			found = found || f.Rule == "seccomp/"+name
		}
		if !found {
			t.Errorf("%s does not trigger seccomp/%s: %v", rel, name, byFile[rel])
		}
	}
	for _, r := range lint.AllRules() {
		if strings.HasPrefix(r.ID, "seccomp/") {
			if _, err := os.Stat(filepath.Join(fixturesDir, "bad", strings.TrimPrefix(r.ID, "seccomp/")+".json")); err != nil {
				t.Errorf("no bad fixture for %s", r.ID)
			}
		}
	}
	good, _ := filepath.Glob(filepath.Join(fixturesDir, "good", "*.json"))
	for _, path := range good {
		rel := "fixtures/seccomp/good/" + filepath.Base(path)
		for _, f := range byFile[rel] {
			if f.Severity > lint.Info {
				t.Errorf("good fixture: %s", f)
			}
		}
	}
	// The seed's violation.json must be predicted to crash-loop.
	found := false
	for _, f := range byFile["fixtures/seccomp/profiles/violation.json"] {
		found = found || f.Rule == "seccomp/blocks-container-start"
	}
	if !found {
		t.Error("violation.json does not trigger seccomp/blocks-container-start")
	}
}
