package k8s

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/linttest"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

const defaultConfig = "profiles:\n  seccomp: seccomp\n  apparmor: apparmor\n"

// newWorkspace is a lint root holding the test profiles
// (testdata/profiles: seccomp/ and apparmor/) and a .secprof.yaml that
// points at them.
func newWorkspace(t testing.TB, cfgYAML string) *linttest.Workspace {
	t.Helper()
	w := linttest.NewWorkspace(t)
	linttest.CopyTree(t, "testdata/profiles", w.Root)
	cfgPath := w.Write(config.DefaultFile, cfgYAML)
	cfg, err := config.Parse(cfgPath, []byte(cfgYAML))
	if err != nil {
		t.Fatal(err)
	}
	w.Config = cfg
	return w
}

// lintOne writes content as name and lints it.
func lintOne(t testing.TB, content string) []lint.Finding {
	t.Helper()
	w := newWorkspace(t, defaultConfig)
	w.Write("pod.yaml", content)
	return w.Lint(New(), "pod.yaml")
}

// want checks that fs are exactly the findings of rule id at the given
// "line:col" positions, each message containing its substring.
type want struct {
	pos      string
	severity lint.Severity
	contains string
}

func expect(t *testing.T, fs []lint.Finding, id string, ws ...want) {
	t.Helper()
	got := linttest.Only(fs, id)
	if len(got) != len(ws) {
		t.Fatalf("%s: got %d findings, want %d:\n%s", id, len(got), len(ws), linttest.Render(got))
	}
	for i, w := range ws {
		f := got[i]
		if pos := strconv.Itoa(f.Line) + ":" + strconv.Itoa(f.Column); pos != w.pos {
			t.Errorf("%s #%d at %s, want %s: %s", id, i, pos, w.pos, f)
		}
		if w.severity != lint.SeverityUnset && f.Severity != w.severity {
			t.Errorf("%s #%d severity %s, want %s", id, i, f.Severity, w.severity)
		}
		if !strings.Contains(f.Message, w.contains) {
			t.Errorf("%s #%d message %q does not contain %q", id, i, f.Message, w.contains)
		}
	}
}

// TestGolden lints each testdata/err/*.yaml and testdata/ok/*.yaml alone in
// a workspace holding the test profiles and compares the findings with the
// .out file beside it (ok/ files must have none).
func TestGolden(t *testing.T) {
	for _, dir := range []string{"ok", "err"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
		jsonFiles, _ := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
		files = append(files, jsonFiles...)
		if len(files) == 0 {
			t.Fatalf("no testdata/%s cases", dir)
		}
		for _, file := range files {
			name := filepath.Base(file)
			t.Run(dir+"/"+name, func(t *testing.T) {
				b, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				w := newWorkspace(t, defaultConfig)
				w.Write(name, string(b))
				got := linttest.Render(w.Lint(New(), name))
				if dir == "ok" {
					if got != "" {
						t.Errorf("findings on a good manifest:\n%s", got)
					}
					return
				}
				golden := strings.TrimSuffix(strings.TrimSuffix(file, ".yaml"), ".json") + ".out"
				if linttest.Golden(t, golden, got, *update) {
					return
				}
				if got == "" {
					t.Errorf("an err case without findings")
				}
			})
		}
	}
}

// TestFixtures lints the repository's fixtures/pods (the seed's manifests
// and one bad manifest per rule) next to the test profiles and compares
// with testdata/fixtures.golden.
func TestFixtures(t *testing.T) {
	w := newWorkspace(t, defaultConfig)
	linttest.CopyTree(t, "../../fixtures/pods", filepath.Join(w.Root, "pods"))
	got := linttest.Render(w.Lint(New(), "pods"))
	if linttest.Golden(t, "testdata/fixtures.golden", got, *update) {
		return
	}
	// Every rule has a bad fixture that triggers it.
	for _, r := range lint.AllRules() {
		if !strings.HasPrefix(r.ID, "k8s/") {
			continue
		}
		bad := "pods/bad/" + strings.TrimPrefix(r.ID, "k8s/") + ".yaml"
		if _, err := os.Stat(filepath.Join(w.Root, bad)); err != nil {
			t.Errorf("no fixture %s", bad)
			continue
		}
		found := false
		for _, l := range strings.Split(got, "\n") {
			if strings.HasPrefix(l, bad+":") && strings.HasSuffix(l, "["+r.ID+"]") {
				found = true
			}
		}
		if !found {
			t.Errorf("fixtures/%s does not trigger %s", bad, r.ID)
		}
	}
	// The seed's good manifests have no error.
	for _, l := range strings.Split(got, "\n") {
		if strings.Contains(l, ": error: ") && !strings.HasPrefix(l, "pods/bad/") {
			t.Errorf("error on a good fixture: %s", l)
		}
	}
}

func TestDetect(t *testing.T) {
	c := New()
	cases := []struct {
		content string
		want    bool
	}{
		{"apiVersion: v1\nkind: Pod\n", true},
		{"apiVersion: apps/v1\nkind: Deployment\n", true},
		{"kind: ConfigMap\n---\nkind: CronJob\n", true},
		{"apiVersion: v1\nkind: List\nitems: []\n", true},
		{"apiVersion: v1\nkind: PodList\nitems: []\n", true},
		{"apiVersion: v1\nkind: ConfigMap\n", false},
		{"kind: SeccompProfile\n", false},
		{`{"apiVersion": "v1", "kind": "Pod", "spec": {}}`, true},
		{`{"defaultAction": "SCMP_ACT_ERRNO"}`, false},
		{"profile foo {}\n", false},
	}
	for _, tc := range cases {
		if got := c.Detect(lint.NewFile("x", []byte(tc.content))); got != tc.want {
			t.Errorf("Detect(%q) = %v, want %v", tc.content, got, tc.want)
		}
	}
}

func TestRulesRegistered(t *testing.T) {
	registered := map[string]bool{}
	for _, r := range rules {
		registered[r.ID] = true
	}
	for _, id := range []string{
		RuleParse, RulePrivilegedOverridesProfile, RuleSeccompUnconfined, RuleSeccompMissing,
		RuleAppArmorUnconfined, RuleLocalhostProfileNotFound, RuleLocalhostProfileInvalid,
		RuleAppArmorAnnotationUnknownContainer, RuleDeprecatedAnnotation, RuleAppArmorProfileNotFound,
		RuleAllowPrivilegeEscalation, RuleProfileTypeInvalid,
	} {
		if _, ok := lint.LookupRule(id); !ok {
			t.Errorf("%s not registered", id)
		}
		if id != RuleParse && !registered[id] {
			t.Errorf("%s has no check", id)
		}
	}
}
