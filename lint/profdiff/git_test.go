package profdiff

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const (
	strict = `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","write","exit_group"],"action":"SCMP_ACT_ALLOW"}]}`
	loose  = `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","write","exit_group","ptrace"],"action":"SCMP_ACT_ALLOW"}]}`
)

// A repository with a commit "base" and a work tree that modifies,
// renames, deletes and adds profiles — some with hostile names.
func gitFixture(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed for these tests (Debian package git)")
	}
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	write(t, filepath.Join(dir, "profiles/mod.json"), strict)
	write(t, filepath.Join(dir, "profiles/old-name.json"), strict)
	write(t, filepath.Join(dir, "profiles/gone.json"), `{"defaultAction":"SCMP_ACT_KILL_PROCESS"}`)
	write(t, filepath.Join(dir, "profiles/*.json"), strict)
	write(t, filepath.Join(dir, "profiles/:(glob)x.json"), strict)
	write(t, filepath.Join(dir, "other/readme.txt"), "not a profile")
	write(t, filepath.Join(dir, "other/unrelated.json"), strict)
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "base")
	git(t, dir, "tag", "base")

	write(t, filepath.Join(dir, "profiles/mod.json"), loose)
	git(t, dir, "mv", "profiles/old-name.json", "profiles/new-name.json")
	git(t, dir, "rm", "-q", "profiles/gone.json")
	write(t, filepath.Join(dir, "profiles/*.json"), loose)
	write(t, filepath.Join(dir, "profiles/:(glob)x.json"), loose)
	write(t, filepath.Join(dir, "profiles/untracked.json"), `{"defaultAction":"SCMP_ACT_ALLOW"}`)
	write(t, filepath.Join(dir, "other/readme.txt"), "changed, still not a profile")
	write(t, filepath.Join(dir, "other/unrelated.json"), loose)
	return dir
}

func TestGit(t *testing.T) {
	dir := gitFixture(t)
	t.Chdir(dir)
	r, err := Git(context.Background(), ".", "base", []string{"profiles"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range r.Files {
		var kinds []string
		for _, it := range f.Items {
			kinds = append(kinds, it.Kind+":"+it.Subject+":"+it.Risk.String())
		}
		got[f.Path] = f.Status + " " + strings.Join(kinds, ",") + strings.Join(f.Errors, ";")
	}
	want := map[string]string{
		"profiles/mod.json":       "modified syscall-allowed:ptrace:high",
		"profiles/new-name.json":  "renamed ",
		"profiles/gone.json":      "removed profile-removed::info",
		"profiles/*.json":         "modified syscall-allowed:ptrace:high",
		"profiles/:(glob)x.json":  "modified syscall-allowed:ptrace:high",
		"profiles/untracked.json": "added profile-added:profiles/untracked.json:high",
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s: got %q, want %q", p, got[p], w)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("unexpected file %s: %s", p, got[p])
		}
	}
	if !strings.HasPrefix(r.Base, "base (") {
		t.Errorf("base %q", r.Base)
	}
	for _, f := range r.Files {
		if f.Path == "profiles/new-name.json" && f.OldPath != "profiles/old-name.json" {
			t.Errorf("rename old path %q", f.OldPath)
		}
	}

	// From a subdirectory, with no path: the whole work tree, paths still
	// relative to the top.
	t.Chdir(filepath.Join(dir, "other"))
	r, err = Git(context.Background(), ".", "base", nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Files) != 7 {
		t.Errorf("%d files, want 7", len(r.Files))
	}
	r, err = Git(context.Background(), ".", "base", []string{"."}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Files) != 1 || r.Files[0].Path != "other/unrelated.json" {
		t.Errorf("files %+v", r.Files)
	}
}

func TestGitRefusesHostileRefs(t *testing.T) {
	dir := gitFixture(t)
	marker := filepath.Join(dir, "pwned")
	for _, ref := range []string{
		"--output=" + marker, "-p", "", "base..HEAD", "HEAD@{1}", "base:profiles/mod.json",
		"base\nHEAD", "base;touch " + marker, "$(touch " + marker + ")", "nonexistent-ref",
	} {
		_, err := Git(context.Background(), dir, ref, nil, Options{})
		if err == nil {
			t.Errorf("ref %q accepted", ref)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("a hostile ref ran a command or wrote a file")
	}
	// A ref that is fine for git but not a commit of this repository
	// names the fix.
	_, err := Git(context.Background(), dir, "origin/main", nil, Options{})
	if err == nil || !strings.Contains(err.Error(), "fetch-depth") {
		t.Errorf("unknown ref: %v", err)
	}
}

func TestGitDoesNotFollowSymlinks(t *testing.T) {
	dir := gitFixture(t)
	secret := filepath.Join(t.TempDir(), "secret.json")
	write(t, secret, loose)
	if err := os.Remove(filepath.Join(dir, "profiles/mod.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(dir, "profiles/mod.json")); err != nil {
		t.Fatal(err)
	}
	r, err := Git(context.Background(), dir, "base", []string{filepath.Join(dir, "profiles")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Files {
		if f.Path == "profiles/mod.json" {
			if len(f.Errors) == 0 || !strings.Contains(f.Errors[0], "symbolic link") {
				t.Errorf("symlink followed: %+v", f)
			}
			return
		}
	}
	t.Error("profiles/mod.json missing from the report")
}

func TestGitPathOutsideTree(t *testing.T) {
	dir := gitFixture(t)
	if _, err := Git(context.Background(), dir, "base", []string{t.TempDir()}, Options{}); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Errorf("path outside the work tree: %v", err)
	}
}

func TestCheckRef(t *testing.T) {
	for _, ok := range []string{"main", "origin/main", "v1.2.3", "HEAD~1", "HEAD^", "0123456789abcdef0123456789abcdef01234567", "refs/pull/12/merge"} {
		if err := CheckRef(ok); err != nil {
			t.Errorf("CheckRef(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-x", "--upload-pack=x", "a..b", "a...b", "@{-1}", "a:b", "a b", "a\tb", "a\x00b", "a*", "a?", "a[b", `a\b`, strings.Repeat("a", 300)} {
		if err := CheckRef(bad); err == nil {
			t.Errorf("CheckRef(%q) accepted", bad)
		}
	}
}

func TestParseNameStatus(t *testing.T) {
	cs, err := parseNameStatus([]byte("M\x00a.json\x00R087\x00old.json\x00new.json\x00A\x00n\nl.json\x00D\x00d.json\x00C100\x00x\x00y\x00"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{{'M', "a.json", "a.json"}, {'R', "old.json", "new.json"}, {'A', "", "n\nl.json"}, {'D', "d.json", ""}, {'A', "", "y"}}
	if len(cs) != len(want) {
		t.Fatalf("%+v", cs)
	}
	for i := range want {
		if cs[i] != want[i] {
			t.Errorf("%d: %+v, want %+v", i, cs[i], want[i])
		}
	}
	if _, err := parseNameStatus([]byte("R100\x00only-one\x00")); err == nil {
		t.Error("truncated rename accepted")
	}
}
