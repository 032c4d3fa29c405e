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
