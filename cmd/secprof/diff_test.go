package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const diffBase = `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","write","exit_group"],"action":"SCMP_ACT_ALLOW"}]}`

func TestDiffFiles(t *testing.T) {
	dir := workspace(t, map[string]string{
		"old.json": diffBase,
		"new.json": strings.Replace(diffBase, `"exit_group"]`, `"exit_group","ptrace"]`, 1),
		"log.json": strings.Replace(diffBase, "SCMP_ACT_ERRNO", "SCMP_ACT_LOG", 1),
		"bad.json": `{"defaultAction":`,
		"note.txt": "not a profile",
	})
	r := secprof(t, dir, "diff", "old.json", "new.json")
	if r.code != 0 || !strings.Contains(r.stdout, "high") || !strings.Contains(r.stdout, "ptrace is now allowed") {
		t.Errorf("diff: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// --fail-on decides the exit status.
	if r := secprof(t, dir, "diff", "--fail-on", "high", "old.json", "new.json"); r.code != 1 {
		t.Errorf("--fail-on high with a high item: code %d", r.code)
	}
	if r := secprof(t, dir, "diff", "--fail-on", "high", "new.json", "old.json"); r.code != 0 {
		t.Errorf("--fail-on high with a tightening: code %d\n%s", r.code, r.stdout)
	}
	// JSON is the documented shape.
	r = secprof(t, dir, "diff", "-f", "json", "old.json", "log.json")
	var rep struct {
		Files []struct {
			Path, Status, Type string
			Items              []struct{ Kind, Risk string }
		}
		Summary struct{ High int }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(rep.Files) != 1 || rep.Files[0].Type != "seccomp" || rep.Summary.High != 1 || rep.Files[0].Items[0].Kind != "default-action" {
		t.Errorf("%+v", rep)
	}
	// Markdown for summaries.
	if r := secprof(t, dir, "diff", "-f", "markdown", "old.json", "log.json"); !strings.Contains(r.stdout, "| 🔴 high |") {
		t.Errorf("markdown:\n%s", r.stdout)
	}
	// Written atomically to --output.
	if r := secprof(t, dir, "diff", "-o", "out/report.txt", "old.json", "new.json"); r.code == 0 {
		t.Error("--output into a missing directory succeeded")
	}
	if r := secprof(t, dir, "diff", "-o", "report.txt", "old.json", "new.json"); r.code != 0 || r.stdout != "" {
		t.Errorf("--output: code %d stdout %q", r.code, r.stdout)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "report.txt")); err != nil || !strings.Contains(string(b), "ptrace") {
		t.Errorf("report file: %v %q", err, b)
	}
	// Errors: exit 2 with the reason.
	for _, args := range [][]string{
		{"diff", "old.json"},
		{"diff", "old.json", "missing.json"},
		{"diff", "note.txt", "note.txt"},
		{"diff", "-f", "xml", "old.json", "new.json"},
		{"diff", "--fail-on", "severe", "old.json", "new.json"},
		{"diff", "old.json", "bad.json"},
	} {
		if r := secprof(t, dir, args...); r.code != 2 || r.stderr == "" {
			t.Errorf("%v: code %d stderr %q", args, r.code, r.stderr)
		}
	}
}

func TestDiffGitBase(t *testing.T) {
	dir := workspace(t, map[string]string{"profiles/app.json": diffBase, "README": "x"})
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	git("add", "-A")
	git("commit", "-q", "-m", "base")
	if err := os.WriteFile(filepath.Join(dir, "profiles/app.json"), []byte(strings.Replace(diffBase, "SCMP_ACT_ERRNO", "SCMP_ACT_ALLOW", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := secprof(t, dir, "diff", "--git-base", "main", "--fail-on", "high", "profiles")
	if r.code != 1 || !strings.Contains(r.stdout, "profiles/app.json (modified, seccomp)") || !strings.Contains(r.stdout, "default action SCMP_ACT_ERRNO → SCMP_ACT_ALLOW") {
		t.Errorf("code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, ref := range []string{"--output=x", "-p", "main..HEAD", "main:README", "no-such-branch"} {
		if r := secprof(t, dir, "diff", "--git-base", ref); r.code != 2 {
			t.Errorf("--git-base %q: code %d\n%s", ref, r.code, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		t.Error("a ref was read as a git option")
	}
}
