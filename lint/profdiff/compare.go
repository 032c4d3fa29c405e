package profdiff

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/secprof/secprof/lint"
)

// Paths compares base with head: two files, or two directories whose files
// are paired by their path relative to each directory. Files that are not
// profiles on either side are left out.
func Paths(base, head string, opt Options) (*Report, error) {
	bst, err := os.Stat(base)
	if err != nil {
		return nil, err
	}
	hst, err := os.Stat(head)
	if err != nil {
		return nil, err
	}
	r := &Report{Base: base, Head: head, Files: []FileDiff{}}
	if !bst.IsDir() && !hst.IsDir() {
		old, err := readRegular(base)
		if err != nil {
			return nil, err
		}
		new, err := readRegular(head)
		if err != nil {
			return nil, err
		}
		if fd, ok := Compare(base, old, head, new, opt); ok {
			if fd.Status == StatusRenamed {
				// Two files named on the command line are two versions
				// of one profile.
				fd.Status = StatusModified
			}
			r.Files = append(r.Files, fd)
			return r, nil
		}
		return nil, fmt.Errorf("neither %s nor %s is a profile secprof knows", base, head)
	}
	if bst.IsDir() != hst.IsDir() {
		return nil, fmt.Errorf("compare a file with a file or a directory with a directory, not %s with %s", base, head)
	}
	bfiles, err := listDir(base)
	if err != nil {
		return nil, err
	}
	hfiles, err := listDir(head)
	if err != nil {
		return nil, err
	}
	for _, rel := range unionSorted(bfiles, hfiles) {
		bp, hp := filepath.Join(base, rel), filepath.Join(head, rel)
		var old, new []byte
		if contains(bfiles, rel) {
			if old, err = readRegular(bp); err != nil {
				return nil, err
			}
		}
		if contains(hfiles, rel) {
			if new, err = readRegular(hp); err != nil {
				return nil, err
			}
		}
		if fd, ok := Compare(bp, old, hp, new, opt); ok {
			if fd.Status == StatusRenamed {
				fd.Status, fd.OldPath = StatusModified, bp
			}
			r.Files = append(r.Files, fd)
		}
	}
	return r, nil
}

// Git compares the profiles under paths (directories or files, relative to
// the working directory; none = the whole work tree) in the work tree of dir
// with their versions at the commit ref names. Reported paths are relative
// to the top of the work tree.
func Git(ctx context.Context, dir, ref string, paths []string, opt Options) (*Report, error) {
	if err := CheckRef(ref); err != nil {
		return nil, err
	}
	repo, err := OpenRepo(ctx, dir)
	if err != nil {
		return nil, err
	}
	commit, err := repo.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	var specs []string
	for _, p := range paths {
		rel, err := repo.Rel(p)
		if err != nil {
			return nil, err
		}
		if rel != "." {
			specs = append(specs, rel)
		}
	}
	changes, err := repo.Changed(ctx, commit, specs)
	if err != nil {
		return nil, err
	}
	untracked, err := repo.Untracked(ctx, specs)
	if err != nil {
		return nil, err
	}
	for _, u := range untracked {
		changes = append(changes, Change{Status: 'A', New: u})
	}
	if len(changes) > MaxDiffFiles {
		return nil, fmt.Errorf("%d changed files since %s, more than the %d compared at once; name the profile directories", len(changes), ref, MaxDiffFiles)
	}
	sort.SliceStable(changes, func(i, j int) bool { return changes[i].path() < changes[j].path() })
	r := &Report{Base: ref + " (" + short(commit) + ")", Head: "work tree", Files: []FileDiff{}}
	for _, c := range changes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var old, new []byte
		var problems []string
		if c.Old != "" {
			b, ok, err := repo.Show(ctx, commit, c.Old)
			if err != nil {
				problems = append(problems, err.Error())
			} else if ok {
				old = b
			}
		}
		if c.New != "" {
			b, err := readInTree(repo.Top(), c.New)
			if err != nil {
				problems = append(problems, err.Error())
			} else {
				new = b
			}
		}
		fd, ok := Compare(c.Old, old, c.New, new, opt)
		if !ok && len(problems) == 0 {
			continue
		}
		if !ok {
			fd = FileDiff{Path: c.path(), Status: c.status(), Type: "unknown", Items: []Item{}}
		}
		fd.Errors = append(fd.Errors, problems...)
		r.Files = append(r.Files, fd)
	}
	return r, nil
}

func (c Change) path() string {
	if c.New != "" {
		return c.New
	}
	return c.Old
}

func (c Change) status() string {
	switch c.Status {
	case 'A':
		return StatusAdded
	case 'D':
		return StatusRemoved
	case 'R':
		return StatusRenamed
	}
	return StatusModified
}

// readInTree reads rel under top without following symbolic links, which
// could point out of the workspace.
func readInTree(top, rel string) ([]byte, error) {
	if rel == "" || filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, "../") || strings.Contains(rel, "/../") {
		return nil, fmt.Errorf("%s: not a path inside the work tree", rel)
	}
	p := filepath.Join(top, filepath.FromSlash(rel))
	// Every parent must be a real directory, too.
	for d := filepath.Dir(p); len(d) > len(top); d = filepath.Dir(d) {
		st, err := os.Lstat(d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rel, err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("%s: %s is a symbolic link; secprof does not follow it", rel, d)
		}
	}
	b, err := readRegular(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, unwrapPath(err))
	}
	return b, nil
}

// readRegular reads a regular file of at most lint.MaxFileSize bytes.
func readRegular(p string) ([]byte, error) {
	st, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("%s is a symbolic link; secprof does not follow it", p)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", p)
	}
	if st.Size() > lint.MaxFileSize {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d allowed", p, st.Size(), lint.MaxFileSize)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, lint.MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > lint.MaxFileSize {
		return nil, fmt.Errorf("%s grew beyond %d bytes while read", p, lint.MaxFileSize)
	}
	return b, nil
}

// listDir returns the regular files under dir, relative and sorted;
// symbolic links are not followed.
func listDir(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" && p != dir {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		out = append(out, rel)
		if len(out) > MaxDiffFiles {
			return fmt.Errorf("%s holds more than %d files", dir, MaxDiffFiles)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

func contains(sorted []string, s string) bool {
	i := sort.SearchStrings(sorted, s)
	return i < len(sorted) && sorted[i] == s
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
