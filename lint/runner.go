package lint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/secprof/secprof/config"
)

// Checker lints one kind of file (seccomp profiles, AppArmor profiles,
// Kubernetes manifests, …). Checkers must be safe for concurrent use: the
// runner calls Check on many files at once.
type Checker interface {
	// Name is the kind of file handled, e.g. "seccomp"; `-v` prints it.
	Name() string
	// Detect reports, from content alone, whether this checker handles f.
	Detect(f *File) bool
	// Check returns the findings for f. Severity may be left unset: the
	// runner fills in the rule's default and applies overrides.
	Check(ctx *Context, f *File) []Finding
}

// Context is what a checker may know beyond the file itself.
type Context struct {
	Context context.Context
	Config  *config.File
	// Root is the absolute workspace root; nothing outside it is read.
	Root string
	// Files are all files of this run that some checker detected, so that
	// cross-file rules (a manifest naming a profile, a base profile) can
	// look them up.
	Files []*File
}

// MaxFileSize bounds one input file. Security profiles are small; anything
// bigger is reported instead of being read into memory.
const MaxFileSize = 8 << 20

// Options configure a run.
type Options struct {
	Root     string // workspace root; defaults to the working directory
	Config   *config.File
	Checkers []Checker
	// Verbose, when set, receives notes on skipped files.
	Verbose func(format string, args ...any)
	// Jobs bounds parallelism; 0 means GOMAXPROCS.
	Jobs int
}

// Result is the outcome of a run.
type Result struct {
	Findings []Finding
	// Files maps a reported path to its file, for reporters that print
	// source lines.
	Files map[string]*File
	// Linted is the number of files some checker handled.
	Linted int
}

// InputError is an I/O or usage problem with an input (missing file, path
// outside the workspace, file too large): the CLI exits 2 on it.
type InputError struct {
	Path string
	Err  error
}

func (e *InputError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Run lints the files and directories in paths (directories recursively).
func Run(ctx context.Context, opts Options, paths []string) (*Result, error) {
	if opts.Config == nil {
		opts.Config = config.Default()
	}
	root := opts.Root
	if root == "" {
		root = "."
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	verbose := opts.Verbose
	if verbose == nil {
		verbose = func(string, ...any) {}
	}

	files, err := collect(root, paths, opts.Config, verbose)
	if err != nil {
		return nil, err
	}

	// Detect first so cross-file rules see every detected file.
	type job struct {
		f        *File
		checkers []Checker
	}
	var jobs []job
	res := &Result{Files: map[string]*File{}}
	var detected []*File
	for _, f := range files {
		if IsBinary(f.Content) {
			verbose("%s: skipped: binary content", f.Path)
			continue
		}
		var cs []Checker
		for _, c := range opts.Checkers {
			if c.Detect(f) {
				cs = append(cs, c)
			}
		}
		if len(cs) == 0 {
			verbose("%s: skipped: not a profile or manifest secprof knows", f.Path)
			continue
		}
		names := make([]string, len(cs))
		for i, c := range cs {
			names[i] = c.Name()
		}
		verbose("%s: %s", f.Path, strings.Join(names, ", "))
		jobs = append(jobs, job{f, cs})
		detected = append(detected, f)
		res.Files[f.Path] = f
	}
	res.Linted = len(jobs)

	lctx := &Context{Context: ctx, Config: opts.Config, Root: root, Files: detected}
	n := opts.Jobs
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	out := make([][]Finding, len(jobs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, n)
	for i, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			for _, c := range j.checkers {
				out[i] = append(out[i], c.Check(lctx, j.f)...)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, fs := range out {
		res.Findings = append(res.Findings, fs...)
	}
	res.Findings = Apply(opts.Config, res.Findings)
	SortFindings(res.Findings)
	return res, nil
}

// Apply fills in default severities and applies lint.disable,
// lint.severity and lint.ignore from the configuration.
func Apply(c *config.File, in []Finding) []Finding {
	disabled := map[string]bool{}
	for _, id := range c.Lint.Disable {
		disabled[id] = true
	}
	out := in[:0]
	for _, f := range in {
		if disabled[f.Rule] || ignored(c.Lint.Ignore, f.File) || excepted(c.Lint.Exceptions, f) {
			continue
		}
		if s, ok := c.Lint.Severity[f.Rule]; ok {
			f.Severity, _ = ParseSeverity(s)
		} else if f.Severity == SeverityUnset {
			if r, ok := LookupRule(f.Rule); ok {
				f.Severity = r.Severity
			} else {
				f.Severity = Error
			}
		}
		out = append(out, f)
	}
	return out
}

func excepted(es []config.Exception, f Finding) bool {
	for _, e := range es {
		if !MatchGlob(e.Path, f.File) {
			continue
		}
		for _, r := range e.Rules {
			if r == f.Rule {
				return true
			}
		}
	}
	return false
}

func ignored(globs []string, path string) bool {
	for _, g := range globs {
		if MatchGlob(g, path) {
			return true
		}
	}
	return false
}

// collect expands paths into files, refusing anything outside root and
// never following symbolic links out of it.
func collect(root string, paths []string, c *config.File, verbose func(string, ...any)) ([]*File, error) {
	seen := map[string]bool{}
	var files []*File
	add := func(abs string, explicit bool) error {
		rel, err := Confine(root, abs)
		if err != nil {
			return &InputError{Path: abs, Err: err}
		}
		if seen[rel] {
			return nil
		}
		seen[rel] = true
		if ignored(c.Lint.Ignore, rel) {
			verbose("%s: skipped: matches lint.ignore", rel)
			return nil
		}
		f, err := readFile(root, rel)
		if err != nil {
			if explicit {
				return &InputError{Path: rel, Err: err}
			}
			verbose("%s: skipped: %v", rel, err)
			return nil
		}
		files = append(files, f)
		return nil
	}
	for _, p := range paths {
		abs := p
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(mustGetwd(), p)
		}
		st, err := os.Lstat(abs)
		if err != nil {
			return nil, &InputError{Path: p, Err: unwrapPathError(err)}
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			// Allowed only when the target stays inside the workspace.
			if _, err := Confine(root, abs); err != nil {
				return nil, &InputError{Path: p, Err: err}
			}
			if st, err = os.Stat(abs); err != nil {
				return nil, &InputError{Path: p, Err: unwrapPathError(err)}
			}
		}
		if !st.IsDir() {
			if err := add(abs, true); err != nil {
				return nil, err
			}
			continue
		}
		var dirFiles []string
		err = filepath.WalkDir(abs, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return &InputError{Path: path, Err: unwrapPathError(err)}
			}
			name := d.Name()
			if d.IsDir() {
				if path != abs && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "vendor") {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				// WalkDir does not follow links; a link to a file inside the
				// workspace is linted, anything else is skipped.
				if _, err := Confine(root, path); err != nil {
					verbose("%s: skipped: %v", path, err)
					return nil
				}
				if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
					return nil
				}
			} else if !d.Type().IsRegular() {
				return nil
			}
			dirFiles = append(dirFiles, path)
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(dirFiles)
		for _, f := range dirFiles {
			if err := add(f, false); err != nil {
				return nil, err
			}
		}
	}
	return files, nil
}

func readFile(root, rel string) (*File, error) {
	abs := filepath.Join(root, filepath.FromSlash(rel))
	fh, err := os.Open(abs)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, unwrapPathError(err)
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("file is %d bytes, more than the %d a profile may have", st.Size(), MaxFileSize)
	}
	b := make([]byte, st.Size())
	if _, err := io.ReadFull(fh, b); err != nil {
		return nil, unwrapPathError(err)
	}
	return &File{Path: rel, Abs: abs, Content: b}, nil
}

// Confine returns p relative to root (slash-separated) after resolving
// symbolic links, or an error when p lies outside root. Input from pull
// requests is untrusted: a link to /etc/shadow must not be read.
func Confine(root, p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", unwrapPathError(err)
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("outside the workspace %s", root)
	}
	return filepath.ToSlash(rel), nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func mustGetwd() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	return wd
}
