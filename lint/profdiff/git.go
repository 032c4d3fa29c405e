package profdiff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/secprof/secprof/lint"
)

// CheckRef refuses what must never reach git as a revision: an empty
// string, anything git would read as an option, ranges and reflog
// expressions, a ':' (which would change the meaning of the REF:path we
// build), and characters no ref may hold. Callers still pass the ref as an
// argument of its own after --end-of-options, never through a shell.
func CheckRef(ref string) error {
	switch {
	case ref == "":
		return errors.New("empty git ref")
	case strings.HasPrefix(ref, "-"):
		return fmt.Errorf("git ref %q starts with '-'", ref)
	case len(ref) > 256:
		return errors.New("git ref longer than 256 bytes")
	case strings.Contains(ref, ".."), strings.Contains(ref, "@{"):
		return fmt.Errorf("git ref %q: ranges and reflog expressions are not accepted; name one commit", ref)
	}
	for _, r := range ref {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(" :?*[\\", r) {
			return fmt.Errorf("git ref %q holds %q, which no ref may contain", ref, r)
		}
	}
	return nil
}

// Repo runs git in one work tree. Every call passes its arguments as a
// list (no shell), with --end-of-options or -- before anything that comes
// from the user, and disables what a repository could use to run code or
// change output (external diff drivers, text conversion).
type Repo struct {
	// Dir is a directory inside the work tree.
	Dir string
	// Git is the git program (default "git").
	Git string

	top string
}

// OpenRepo finds the top of the work tree that holds dir.
func OpenRepo(ctx context.Context, dir string) (*Repo, error) {
	r := &Repo{Dir: dir, Git: "git"}
	out, err := r.run(ctx, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("%s: not in a git work tree: %w", dir, err)
	}
	r.top = strings.TrimRight(string(out), "\n")
	return r, nil
}

// Top is the absolute top directory of the work tree.
func (r *Repo) Top() string { return r.top }

// Resolve turns ref into a full commit ID.
func (r *Repo) Resolve(ctx context.Context, ref string) (string, error) {
	if err := CheckRef(ref); err != nil {
		return "", err
	}
	out, err := r.run(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}")
	if err != nil {
		return "", fmt.Errorf("git ref %q does not name a commit in %s (with actions/checkout, set fetch-depth: 0 or fetch the base)", ref, r.top)
	}
	id := strings.TrimSpace(string(out))
	if !isHex(id) {
		return "", fmt.Errorf("git rev-parse %q: unexpected output %q", ref, id)
	}
	return id, nil
}

// Change is one file that differs between a commit and the work tree.
type Change struct {
	// Status is A (added), D (deleted), M (modified) or R (renamed).
	Status byte
	// Old is the path at the commit ("" when added), New the path in the
	// work tree ("" when deleted); both relative to the top, slash-separated.
	Old, New string
}

// Changed lists the files under pathspecs (relative to the top; none = the
// whole tree) that differ between commit and the work tree, renames
// detected. commit must come from Resolve.
func (r *Repo) Changed(ctx context.Context, commit string, pathspecs []string) ([]Change, error) {
	if !isHex(commit) {
		return nil, fmt.Errorf("not a commit ID: %q", commit)
	}
	args := []string{"diff", "--name-status", "-z", "--find-renames", "--no-ext-diff", "--no-textconv", "--ignore-submodules", commit, "--"}
	for _, p := range pathspecs {
		// literal pathspecs: a file called '*' or ':(glob)x' means itself
		args = append(args, ":(top,literal)"+p)
	}
	out, err := r.run(ctx, args...)
	if err != nil {
		return nil, err
	}
	return parseNameStatus(out)
}

func parseNameStatus(out []byte) ([]Change, error) {
	fields := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(fields) == 1 && fields[0] == "" {
		return nil, nil
	}
	var cs []Change
	for i := 0; i < len(fields); {
		st := fields[i]
		if st == "" {
			return nil, errors.New("git diff: empty status")
		}
		i++
		need := 1
		if st[0] == 'R' || st[0] == 'C' {
			need = 2
		}
		if i+need > len(fields) {
			return nil, fmt.Errorf("git diff: truncated entry for status %q", st)
		}
		c := Change{Status: st[0]}
		switch st[0] {
		case 'A':
			c.New = fields[i]
		case 'D':
			c.Old = fields[i]
		case 'R':
			c.Old, c.New = fields[i], fields[i+1]
		case 'C':
			// a copy is a new file as far as the profile is concerned
			c.Status, c.New = 'A', fields[i+1]
		default: // M, T (type change), U (unmerged)
			c.Status = 'M'
			c.Old, c.New = fields[i], fields[i]
		}
		i += need
		cs = append(cs, c)
	}
	return cs, nil
}

// Show returns the content of path (relative to the top) at commit, and
// false when the file does not exist there. Content larger than
// lint.MaxFileSize is an error.
func (r *Repo) Show(ctx context.Context, commit, path string) ([]byte, bool, error) {
	if !isHex(commit) {
		return nil, false, fmt.Errorf("not a commit ID: %q", commit)
	}
	// ls-tree tells a missing file from a failure without parsing messages.
	out, err := r.run(ctx, "ls-tree", "-z", "--full-tree", commit, "--", ":(literal)"+path)
	if err != nil {
		return nil, false, err
	}
	entry := strings.TrimSuffix(string(out), "\x00")
	if entry == "" {
		return nil, false, nil
	}
	// "<mode> SP <type> SP <object> TAB <path>"
	meta, _, ok := strings.Cut(entry, "\t")
	parts := strings.Fields(meta)
	if !ok || len(parts) != 3 {
		return nil, false, fmt.Errorf("git ls-tree: unexpected output %q", entry)
	}
	if parts[1] != "blob" || !isHex(parts[2]) {
		return nil, false, fmt.Errorf("%s at %s is a %s, not a file", path, short(commit), parts[1])
	}
	if parts[0] == "120000" {
		return nil, false, fmt.Errorf("%s at %s is a symbolic link; secprof does not follow it", path, short(commit))
	}
	b, err := r.runLimit(ctx, lint.MaxFileSize, "cat-file", "blob", parts[2])
	if err != nil {
		return nil, false, fmt.Errorf("%s at %s: %w", path, short(commit), err)
	}
	return b, true, nil
}

// Rel makes an absolute or working-directory-relative path relative to the
// top of the work tree; it fails for paths outside it.
func (r *Repo) Rel(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if e, err := filepath.EvalSymlinks(abs); err == nil {
		abs = e
	}
	rel, err := filepath.Rel(r.top, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is outside the git work tree %s", path, r.top)
	}
	return filepath.ToSlash(rel), nil
}

func (r *Repo) run(ctx context.Context, args ...string) ([]byte, error) {
	return r.runLimit(ctx, 64<<20, args...)
}

// runLimit runs git with args and returns its standard output, failing
// when it is longer than limit.
func (r *Repo) runLimit(ctx context.Context, limit int64, args ...string) ([]byte, error) {
	full := append([]string{"-C", r.Dir, "-c", "core.quotepath=off", "-c", "diff.external=", "--no-pager"}, args...)
	cmd := exec.CommandContext(ctx, r.Git, full...)
	cmd.Env = gitEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: 4096}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("git: %w", err)
	}
	out, rerr := io.ReadAll(io.LimitReader(stdout, limit+1))
	if int64(len(out)) > limit {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("git %s: output larger than %d bytes", args[0], limit)
	}
	werr := cmd.Wait()
	if rerr != nil {
		return nil, rerr
	}
	if werr != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = werr.Error()
		}
		return nil, fmt.Errorf("git %s: %s", args[0], msg)
	}
	return out, nil
}

// gitEnv is the environment git runs with: the caller's, minus what could
// redirect it to another repository or make it prompt.
func gitEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
			"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_EXTERNAL_DIFF", "GIT_PAGER", "PAGER":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0", "LC_ALL=C")
}

type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) > l.n {
		p = p[:l.n]
	}
	l.n -= len(p)
	if len(p) > 0 {
		if _, err := l.w.Write(p); err != nil {
			return 0, err
		}
	}
	return n, nil
}

func isHex(s string) bool {
	if len(s) < 40 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// Untracked lists files under pathspecs that git does not track and does
// not ignore: new profiles not yet committed.
func (r *Repo) Untracked(ctx context.Context, pathspecs []string) ([]string, error) {
	args := []string{"ls-files", "-z", "--others", "--exclude-standard", "--full-name", "--"}
	if len(pathspecs) == 0 {
		args = append(args, ":(top)")
	}
	for _, p := range pathspecs {
		args = append(args, ":(top,literal)"+p)
	}
	out, err := r.run(ctx, args...)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, f := range strings.Split(string(out), "\x00") {
		if f != "" {
			files = append(files, f)
		}
	}
	return files, nil
}
