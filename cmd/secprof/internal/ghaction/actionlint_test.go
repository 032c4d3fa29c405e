package ghaction

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// actionlintModule is pinned: the checks of a newer actionlint must not
// change this test's verdict without a commit.
const actionlintModule = "github.com/rhysd/actionlint@v1.7.7"

// TestWorkflowsActionlint checks .github/workflows/*.yml (and, through
// their `uses: ./`, action.yml's inputs and outputs) with actionlint. The
// module comes from the Go module proxy the first time and from the
// module cache afterwards, so the test then runs offline. shellcheck and
// pyflakes integration is off so the verdict does not depend on what the
// machine has installed.
func TestWorkflowsActionlint(t *testing.T) {
	root := repoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows: %v", err)
	}
	bin := buildActionlint(t)
	args := []string{"-shellcheck=", "-pyflakes=", "-no-color"}
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		args = append(args, rel)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("actionlint: %v\n%s", err, out)
	}
}

// TestDocWorkflowsActionlint checks the copy-paste workflows of
// docs/github-action.md: each ```yaml block that is a workflow goes into a
// scratch repository next to this action.yml, with `uses:
// secprof/secprof@<commit-sha>` pointed at it (`uses: ./`), so actionlint
// also checks the inputs and outputs the examples use.
func TestDocWorkflowsActionlint(t *testing.T) {
	root := repoRoot(t)
	doc, err := os.ReadFile(filepath.Join(root, "docs", "github-action.md"))
	if err != nil {
		t.Fatal(err)
	}
	bin := buildActionlint(t)
	dir := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	action, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "action.yml"), action, 0o644); err != nil {
		t.Fatal(err)
	}
	wf := filepath.Join(dir, ".github", "workflows")
	if err := os.MkdirAll(wf, 0o755); err != nil {
		t.Fatal(err)
	}
	var files []string
	blocks := strings.Split(string(doc), "```yaml\n")
	for i, b := range blocks[1:] {
		body, _, ok := strings.Cut(b, "\n```")
		if !ok {
			t.Fatalf("unterminated yaml block %d", i+1)
		}
		body = strings.ReplaceAll(body, "secprof/secprof@<commit-sha>", "./")
		if !strings.Contains(body, "jobs:") {
			continue
		}
		if !strings.HasPrefix(body, "name:") && !strings.HasPrefix(body, "on:") {
			// a fragment: give it the rest of a workflow
			body = "name: doc-example\non: [push, pull_request]\n" + body
		}
		name := filepath.Join(".github", "workflows", "example"+string(rune('a'+i))+".yml")
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
	}
	if len(files) < 4 {
		t.Fatalf("found %d example workflows, want the 4 of the guide", len(files))
	}
	cmd := exec.Command(bin, append([]string{"-shellcheck=", "-pyflakes=", "-no-color"}, files...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("actionlint on the examples of docs/github-action.md: %v\n%s", err, out)
	}
}

// buildActionlint builds the pinned actionlint from the module cache
// (downloading it first if needed) without touching this module's go.mod.
func buildActionlint(t *testing.T) string {
	t.Helper()
	env := append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	dl := exec.Command("go", "mod", "download", "-json", actionlintModule)
	dl.Dir = t.TempDir() // outside any module
	dl.Env = env
	out, err := dl.Output()
	if err != nil {
		msg := string(out)
		if ee, ok := err.(*exec.ExitError); ok {
			msg += string(ee.Stderr)
		}
		t.Fatalf("go mod download %s (needs the Go module proxy once): %v\n%s", actionlintModule, err, msg)
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		t.Fatalf("go mod download: %v %s", err, out)
	}
	bin := filepath.Join(t.TempDir(), "actionlint")
	build := exec.Command("go", "build", "-o", bin, "./cmd/actionlint")
	build.Dir = m.Dir
	build.Env = env
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building actionlint: %v\n%s", err, strings.TrimSpace(string(out)))
	}
	return bin
}
