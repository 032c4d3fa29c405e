package apparmor

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// SystemDir is where apparmor_parser looks for <includes> after the -I
// directories.
const SystemDir = "/etc/apparmor.d"

// Bounds on include resolution.
const (
	maxIncludeDepth = 32   // includes inside includes
	maxIncludeFiles = 2000 // files read for one policy
	maxIncludeSize  = 8 << 20
)

// Option configures Load.
type Option func(*loader)

// WithIncludeDirs adds directories searched for <includes> before the
// system directory, like apparmor_parser -I. They are also the only
// directories, with the system directory and the root, that includes may
// read from.
func WithIncludeDirs(dirs ...string) Option {
	return func(l *loader) { l.includeDirs = append(l.includeDirs, dirs...) }
}

// WithSystemDir replaces /etc/apparmor.d (tests use a fixture tree); ""
// means no system directory.
func WithSystemDir(dir string) Option { return func(l *loader) { l.systemDir = dir } }

// WithRoot sets the workspace root: "quoted" includes may read files under
// it. Without it only the include and system directories are readable.
func WithRoot(root string) Option { return func(l *loader) { l.root = root } }

// WithBaseDir sets the directory relative "quoted" includes resolve against
// (apparmor_parser uses its working directory; secprof runs it in the
// directory of the linted file, the default here).
func WithBaseDir(dir string) Option { return func(l *loader) { l.baseDir = dir } }

// WithFileCache shares parsed include files between loads (nil disables).
func WithFileCache(c *FileCache) Option { return func(l *loader) { l.cache = c } }

// AsAbstraction loads the file as an abstraction, meant to be included in a
// profile, even when it defines profiles or hats of its own: its statements
// form the body of a profile that includes <tunables/global> first. Files
// with rules and no profile are abstractions anyway.
func AsAbstraction() Option { return func(l *loader) { l.abstraction = true } }

// ProblemKind classifies what Load found wrong.
type ProblemKind int

const (
	// ProblemSyntax: the policy does not parse, or a statement is in a
	// place the grammar forbids; apparmor_parser would reject it.
	ProblemSyntax ProblemKind = iota
	// ProblemUnknownInclude: a required include was not found, or would
	// be read from outside the allowed directories.
	ProblemUnknownInclude
	// ProblemIncludeLoop: an include leads back to a file being included.
	ProblemIncludeLoop
	// ProblemUndefinedVariable: @{NAME} is used but never set.
	ProblemUndefinedVariable
	// ProblemWarning: something the parser kept but cannot vouch for.
	ProblemWarning
)

// Problem is one thing Load found wrong, at a position in Err.File. When it
// lies in an included file, Via is the include statement of the loaded file
// that leads to it.
type Problem struct {
	Kind ProblemKind
	Err  *Error
	Via  *Include
}

// Entry is one rule as it applies to a profile.
type Entry struct {
	Rule Stmt
	// Prefix is the rule's own qualifiers merged with those of the blocks
	// around it (`deny { ... }`).
	Prefix Prefix
	// File is where the rule is written.
	File *File
	// Via is the include statement of the loaded file through which the
	// rule came, or nil when it is written in the loaded file itself.
	Via *Include
	// Path and Target are the rule's path and transition target with
	// variables expanded (file and link rules, change_profile).
	Path, Target string
}

// Own reports whether the rule is written in the loaded file.
func (e *Entry) Own() bool { return e.Via == nil }

// Policy is a loaded policy file: parsed, includes resolved, variables
// expanded, and every profile's effective rules collected.
type Policy struct {
	File *File
	// Profiles are the top-level profiles in source order (including ones
	// defined by included files); children hang off each.
	Profiles []*Profile
	// Fragment is set when the file is an abstraction: rules with no
	// profile around them. They are collected in FragmentProfile.
	Fragment        bool
	FragmentProfile *Profile
	Problems        []Problem
	// Refused is set when some include would have been read from outside
	// the allowed directories; apparmor_parser must not run on the file.
	Refused bool
	// Unresolved is set when some include was not found.
	Unresolved bool
	// Includes are the files read, by absolute path.
	Includes []string

	// viaOf maps an included file (real path) to the include statement of
	// the loaded file through which it was first reached.
	viaOf map[string]*Include

	// Truncated is set when the risk rules ran out of their work budget
	// (see maxMatchWork) on a huge policy: findings may be missing.
	Truncated bool
	work      int

	vars *vars
}

// AllProfiles returns every profile, child and hat, depth first, plus the
// fragment pseudo-profile.
func (p *Policy) AllProfiles() []*Profile {
	var out []*Profile
	var walk func(*Profile)
	walk = func(x *Profile) {
		out = append(out, x)
		for _, c := range x.Children {
			walk(c)
		}
	}
	for _, x := range p.Profiles {
		walk(x)
	}
	if p.FragmentProfile != nil {
		walk(p.FragmentProfile)
	}
	return out
}

// Expand expands the variables in s as the policy defines them.
func (p *Policy) Expand(s string) (string, error) { return p.vars.expand(s) }

// Accepted reports whether the policy has no error-level problem: what
// apparmor_parser would accept, as far as this parser can tell.
func (p *Policy) Accepted() bool {
	for _, pr := range p.Problems {
		if pr.Kind == ProblemSyntax || pr.Kind == ProblemUnknownInclude || pr.Kind == ProblemUndefinedVariable {
			return false
		}
	}
	return true
}

type loader struct {
	includeDirs []string
	systemDir   string
	root        string
	baseDir     string
	cache       *FileCache

	allowed     []string // real paths of directories reads may come from
	search      []string // <include> search path
	files       int
	pol         *Policy
	parsed      map[string]*File
	reported    map[string]bool
	stack       []string
	via         *Include
	defs        []*Variable
	defFile     map[*Variable]*File
	defVia      map[*Variable]*Include
	seenProfile bool
	tunables    bool   // fragment mode found tunables/global
	self        string // absolute path of the loaded file (may not exist on disk)
	abstraction bool
	seenProblem map[problemKey]bool
}

// Load parses src (the content of path), resolves its includes, expands
// variables and collects each profile's rules. path is the name used in
// positions; when it is a real file its directory is the base for relative
// "quoted" includes. Load never returns a nil Policy; problems are in
// Policy.Problems.
func Load(path string, src []byte, opts ...Option) *Policy {
	l := &loader{systemDir: SystemDir, parsed: map[string]*File{}, reported: map[string]bool{}, defFile: map[*Variable]*File{}, defVia: map[*Variable]*Include{}}
	for _, o := range opts {
		o(l)
	}
	if l.baseDir == "" && path != "" {
		if abs, err := filepath.Abs(path); err == nil {
			l.baseDir = filepath.Dir(abs)
		}
	}
	for _, d := range append(append([]string{}, l.includeDirs...), l.systemDir) {
		if d == "" {
			continue
		}
		if abs, err := filepath.Abs(d); err == nil {
			l.search = append(l.search, abs)
			if r, err := filepath.EvalSymlinks(abs); err == nil {
				l.allowed = append(l.allowed, r)
			}
		}
	}
	if l.root != "" {
		if r, err := filepath.EvalSymlinks(l.root); err == nil {
			l.allowed = append(l.allowed, r)
		} else if abs, err := filepath.Abs(l.root); err == nil {
			l.allowed = append(l.allowed, abs)
		}
	}
	f := parse(path, src)
	pol := &Policy{File: f, vars: newVars(), viaOf: map[string]*Include{}}
	l.pol = pol
	l.addFileProblems(f, nil)
	// the loaded file heads the include stack, so that including itself
	// is a loop
	self := path
	if !filepath.IsAbs(self) && l.baseDir != "" {
		self = filepath.Join(l.baseDir, filepath.Base(path))
	}
	if abs, err := filepath.Abs(self); err == nil {
		l.self = abs
		if r, err := filepath.EvalSymlinks(abs); err == nil {
			abs = r
		}
		l.stack = append(l.stack, abs)
	}

	pol.Fragment = l.abstraction || isFragment(f) || l.pullsRules(f, 0)
	if pol.Fragment {
		l.loadFragment(f)
	} else {
		l.top(f, f.Stmts, map[string]bool{})
	}
	l.finish()
	return pol
}

// isFragment reports whether f is an abstraction: rules at the top level
// and no profile.
func isFragment(f *File) bool {
	rules := false
	for _, s := range f.Stmts {
		if _, ok := s.(*Profile); ok {
			return false
		}
		if isRule(s) {
			rules = true
		}
	}
	return rules
}

// pullsRules reports whether f defines no profile but includes files
// that put rules at the top level: an abstraction made of includes.
func (l *loader) pullsRules(f *File, depth int) bool {
	if depth > 8 {
		return false
	}
	for _, s := range f.Stmts {
		if _, ok := s.(*Profile); ok {
			return false
		}
	}
	for _, s := range f.Stmts {
		inc, ok := s.(*Include)
		if !ok {
			continue
		}
		paths, refused, _ := l.resolve(inc)
		if refused != "" {
			continue
		}
		for _, p := range paths {
			if inf := l.read(p); inf != nil && (isFragment(inf) || l.pullsRules(inf, depth+1)) {
				return true
			}
		}
	}
	return false
}

// loadFragment treats f as the body of a profile, with tunables/global
// included first when it can be found (abstractions rely on the profile
// including it).
func (l *loader) loadFragment(f *File) {
	cache := map[string]bool{}
	if paths, _, _ := l.resolve(&Include{Target: "tunables/global", Angle: true}); len(paths) == 1 {
		if tf := l.read(paths[0]); tf != nil {
			l.tunables = true
			cache[paths[0]] = true
			l.withStack(paths[0], func() { l.top(tf, tf.Stmts, cache) })
		}
	}
	prof := &Profile{Span: Span{Start: Pos{Offset: 0, Line: 1, Col: 1}}, Name: Word{Text: ""}, file: f, pol: l.pol}
	l.pol.FragmentProfile = prof
	var top []Stmt
	for _, s := range f.Stmts {
		switch s.(type) {
		case *Variable, *Alias:
			top = append(top, s)
		}
	}
	l.top(f, top, cache)
	var body []Stmt
	for _, s := range f.Stmts {
		switch s.(type) {
		case *Variable, *Alias:
		default:
			body = append(body, s)
		}
	}
	l.body(f, prof, body, Prefix{}, map[string]bool{})
}

func (l *loader) problem(kind ProblemKind, f *File, sp Span, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if l.via != nil {
		// one report per include statement and kind of problem is enough
		k := problemKey{l.via, kind, f.Name, msg}
		if l.seenProblem[k] {
			return
		}
		if l.seenProblem == nil {
			l.seenProblem = map[problemKey]bool{}
		}
		l.seenProblem[k] = true
	}
	l.pol.Problems = append(l.pol.Problems, Problem{Kind: kind, Err: &Error{File: f.Name, Span: sp, Msg: msg}, Via: l.via})
}

type problemKey struct {
	via  *Include
	kind ProblemKind
	file string
	msg  string
}

func (l *loader) addFileProblems(f *File, via *Include) {
	if l.reported[f.Name] {
		return
	}
	l.reported[f.Name] = true
	for _, e := range f.Errors {
		l.pol.Problems = append(l.pol.Problems, Problem{Kind: ProblemSyntax, Err: e, Via: via})
	}
	for _, e := range f.Warnings {
		l.pol.Problems = append(l.pol.Problems, Problem{Kind: ProblemWarning, Err: e, Via: via})
	}
}

// withStack runs fn with abs pushed on the include stack.
func (l *loader) withStack(abs string, fn func()) {
	l.stack = append(l.stack, abs)
	fn()
	l.stack = l.stack[:len(l.stack)-1]
}

// include resolves inc and calls fn for each file it names, handling the
// per-block include cache, loops and depth.
func (l *loader) include(f *File, inc *Include, cache map[string]bool, fn func(*File)) {
	paths, refused, notFound := l.resolve(inc)
	if refused != "" {
		l.pol.Refused = true
		l.problem(ProblemUnknownInclude, f, inc.Span, "%s", refused)
		return
	}
	if notFound {
		if !inc.IfExists {
			l.pol.Unresolved = true
			where := strings.Join(l.search, ", ")
			if !inc.Angle {
				where = l.baseDir
			}
			if where == "" {
				where = "no include directory"
			}
			l.problem(ProblemUnknownInclude, f, inc.Span, "include %s not found (searched %s)", inc.display(), where)
		}
		return
	}
	outer := l.via
	inner := outer
	if outer == nil && f == l.pol.File {
		inner = inc
	}
	defer func() { l.via = outer }()
	for _, p := range paths {
		l.via = outer // problems at the include statement itself
		for i, s := range l.stack {
			if s == p {
				chain := make([]string, 0, len(l.stack)-i+1)
				for _, x := range l.stack[i:] {
					chain = append(chain, l.displayPath(x))
				}
				chain = append(chain, l.displayPath(p))
				l.problem(ProblemIncludeLoop, f, inc.Span, "include loop: %s (apparmor_parser silently skips the repeated include)", strings.Join(chain, " -> "))
				p = ""
				break
			}
		}
		if p == "" || cache[p] {
			continue
		}
		cache[p] = true
		if len(l.stack) > maxIncludeDepth {
			l.problem(ProblemUnknownInclude, f, inc.Span, "includes nested more than %d deep", maxIncludeDepth)
			return
		}
		inf := l.read(p)
		if inf == nil {
			l.problem(ProblemUnknownInclude, f, inc.Span, "include %s could not be read", inc.display())
			continue
		}
		l.via = inner
		l.addFileProblems(inf, l.via)
		if _, ok := l.pol.viaOf[p]; !ok {
			l.pol.viaOf[p] = l.via
		}
		l.withStack(p, func() { fn(inf) })
	}
}

func (inc *Include) display() string {
	if inc.Angle {
		return "<" + inc.Target + ">"
	}
	return `"` + inc.Target + `"`
}

// abi checks that the feature ABI file an abi rule names exists (it is
// not read: it describes kernel features, not policy).
func (l *loader) abi(f *File, a *Abi) {
	if a.Target == "" {
		return
	}
	_, refused, notFound := l.resolve(&Include{Span: a.Span, Target: a.Target, Angle: a.Angle})
	switch {
	case refused != "":
		l.pol.Refused = true
		l.problem(ProblemUnknownInclude, f, a.Span, "%s", strings.Replace(refused, "include", "abi", 1))
	case notFound:
		l.pol.Unresolved = true
		l.problem(ProblemUnknownInclude, f, a.Span, "abi <%s> not found (searched %s)", a.Target, strings.Join(l.search, ", "))
	}
}

// top processes top-level statements: the preamble and profiles.
func (l *loader) top(f *File, stmts []Stmt, cache map[string]bool) {
	for _, s := range stmts {
		switch s := s.(type) {
		case *Include:
			l.include(f, s, cache, func(inf *File) { l.top(inf, inf.Stmts, cache) })
		case *Variable:
			if l.seenProfile {
				l.problem(ProblemSyntax, f, s.Span, "variable definitions must come before the first profile")
			}
			l.defs = append(l.defs, s)
			l.defFile[s] = f
			l.defVia[s] = l.via
		case *Alias:
			if l.seenProfile {
				l.problem(ProblemSyntax, f, s.Span, "alias rules must come before the first profile")
			}
		case *Abi:
			if l.seenProfile {
				l.problem(ProblemSyntax, f, s.Span, "abi rules must come before the first profile")
			}
			l.abi(f, s)
		case *Profile:
			l.seenProfile = true
			for _, q := range l.pol.Profiles {
				if q.Name.Text == s.Name.Text {
					l.problem(ProblemSyntax, f, s.Name.Span, "profile %s is defined more than once", s.Name.Text)
				}
			}
			l.pol.Profiles = append(l.pol.Profiles, l.profile(f, s, nil))
		default:
			l.problem(ProblemSyntax, f, SpanOf(s), "rules must be inside a profile (or the file must only hold rules, as an abstraction does)")
		}
	}
}

// profile builds the model of one profile. It works on a copy: included
// files are parsed once and shared between concurrent loads, so their
// syntax trees must stay read-only.
func (l *loader) profile(f *File, src *Profile, parent *Profile) *Profile {
	prof := *src
	prof.Parent, prof.file, prof.pol = parent, f, l.pol
	prof.denies, prof.denyMemo, prof.classDenies, prof.capsMemo = nil, nil, nil, nil
	prof.Entries, prof.Children, prof.IncludeNames = nil, nil, nil
	l.body(f, &prof, prof.Body, Prefix{}, map[string]bool{})
	return &prof
}

func mergePrefix(outer, inner Prefix) Prefix {
	out := inner
	out.Audit = outer.Audit || inner.Audit
	if out.Mode == "" {
		out.Mode = outer.Mode
	}
	if out.Owner == "" {
		out.Owner = outer.Owner
	}
	if out.Priority == nil {
		out.Priority = outer.Priority
	}
	return out
}

func rulePrefix(s Stmt) Prefix {
	switch r := s.(type) {
	case *FileRule:
		return r.Prefix
	case *LinkRule:
		return r.Prefix
	case *CapabilityRule:
		return r.Prefix
	case *ClassRule:
		return r.Prefix
	case *ChangeProfileRule:
		return r.Prefix
	case *AllRule:
		return r.Prefix
	case *Unrecognized:
		return r.Prefix
	}
	return Prefix{}
}

// body collects the rules of a profile body, following includes, blocks
// and both branches of conditionals (the model over-approximates what a
// profile may allow).
func (l *loader) body(f *File, prof *Profile, stmts []Stmt, pre Prefix, cache map[string]bool) {
	for _, s := range stmts {
		switch s := s.(type) {
		case *Include:
			prof.IncludeNames = append(prof.IncludeNames, s.Target)
			l.include(f, s, cache, func(inf *File) { l.body(inf, prof, inf.Stmts, pre, cache) })
		case *Profile:
			if s.Keyword == "" {
				l.problem(ProblemSyntax, f, s.Name.Span, "a profile inside a profile needs the keyword 'profile' (or '^' for a hat)")
			}
			prof.Children = append(prof.Children, l.profile(f, s, prof))
		case *Block:
			l.body(f, prof, s.Body, mergePrefix(pre, s.Prefix), cache)
		case *If:
			l.body(f, prof, s.Then, pre, cache)
			l.body(f, prof, s.Else, pre, cache)
		case *Variable:
			l.problem(ProblemSyntax, f, s.Span, "variable definitions are not allowed inside a profile")
		case *Alias:
			l.problem(ProblemSyntax, f, s.Span, "alias rules are not allowed inside a profile")
		case *Abi:
			l.abi(f, s)
		default:
			prof.Entries = append(prof.Entries, Entry{Rule: s, Prefix: mergePrefix(pre, rulePrefix(s)), File: f, Via: l.via})
		}
	}
}

// finish applies the variable definitions, expands and checks every
// reference.
func (l *loader) finish() {
	v := l.pol.vars
	for _, d := range l.defs {
		l.via = l.defVia[d]
		f := l.defFile[d]
		if d.Bool {
			v.bools[d.Name] = ""
			continue
		}
		vals := make([]string, 0, len(d.Values))
		for _, w := range d.Values {
			vals = append(vals, w.Text)
		}
		_, exists := v.vals[d.Name]
		switch d.Op {
		case "=":
			if exists {
				l.problem(ProblemSyntax, f, d.Span, "variable @{%s} was previously declared", d.Name)
				continue
			}
			v.vals[d.Name] = vals
		case "+=":
			if !exists {
				l.problem(ProblemSyntax, f, d.Span, "variable @{%s} was not previously declared, but is being assigned additional values", d.Name)
				continue
			}
			v.vals[d.Name] = append(v.vals[d.Name], vals...)
		case "?=":
			if !exists {
				v.vals[d.Name] = vals
			}
		default: // :=
			v.vals[d.Name] = vals
		}
	}
	l.via = nil
	// an include that was not found may define the variables
	quiet := l.pol.Unresolved || (l.pol.Fragment && !l.tunables)
	reported := map[string]bool{}
	check := func(e *Entry, w *Word) string {
		if w == nil {
			return ""
		}
		for _, n := range refs(w.Text) {
			if !v.defined(n) && !reported[n] && !quiet {
				reported[n] = true
				l.via = e.Via
				l.problem(ProblemUndefinedVariable, e.File, w.Span, "variable @{%s} is used but never defined", n)
				l.via = nil
			}
		}
		x, err := v.expand(w.Text)
		if err != nil {
			if !reported["\x00"+err.Error()] {
				reported["\x00"+err.Error()] = true
				l.via = e.Via
				l.problem(ProblemSyntax, e.File, w.Span, "%v", err)
				l.via = nil
			}
			return w.Text
		}
		return x
	}
	for _, prof := range l.pol.AllProfiles() {
		for i := range prof.Entries {
			e := &prof.Entries[i]
			switch r := e.Rule.(type) {
			case *FileRule:
				if !r.Bare {
					e.Path = check(e, &r.Path)
					if err := globError(e.Path); err != nil && !strings.Contains(e.Path, "@{") {
						l.via = e.Via
						l.problem(ProblemSyntax, e.File, r.Path.Span, "invalid path pattern %q: %v", r.Path.Text, err)
						l.via = nil
					}
				}
				e.Target = check(e, r.Target)
			case *LinkRule:
				e.Path = check(e, &r.From)
				e.Target = check(e, &r.To)
			case *ChangeProfileRule:
				e.Path = check(e, r.Exec)
				e.Target = check(e, r.Target)
			case *ClassRule:
				for j := range r.Args {
					check(e, &r.Args[j])
				}
				e.Target = check(e, r.Target)
			}
		}
		if prof.Attachment != nil && prof.file != nil {
			check(&Entry{File: prof.file}, prof.Attachment)
		}
	}
}

// resolve finds the files an include names. refused explains why an
// include may not be read; notFound is set when nothing matched.
func (l *loader) resolve(inc *Include) (paths []string, refused string, notFound bool) {
	if l.cache == nil {
		return l.resolveFS(inc)
	}
	key := strings.Join(l.search, "\x00") + "\x01" + strings.Join(l.allowed, "\x00") + "\x01" + l.baseDir + "\x01" + inc.display()
	l.cache.mu.Lock()
	r, ok := l.cache.resolved[key]
	l.cache.mu.Unlock()
	if ok {
		return r.paths, r.refused, r.notFound
	}
	paths, refused, notFound = l.resolveFS(inc)
	l.cache.mu.Lock()
	if len(l.cache.resolved) < fileCacheMax {
		l.cache.resolved[key] = resolution{paths, refused, notFound}
	}
	l.cache.mu.Unlock()
	return paths, refused, notFound
}

type resolution struct {
	paths    []string
	refused  string
	notFound bool
}

func (l *loader) resolveFS(inc *Include) (paths []string, refused string, notFound bool) {
	target := inc.Target
	var cands []string
	if inc.Angle {
		if !filepath.IsLocal(filepath.FromSlash(target)) {
			return nil, fmt.Sprintf("include %s escapes the include directories; not read", inc.display()), false
		}
		for _, d := range l.search {
			cands = append(cands, filepath.Join(d, filepath.FromSlash(target)))
		}
	} else {
		p := filepath.FromSlash(target)
		if !filepath.IsAbs(p) {
			if l.baseDir == "" {
				return nil, "", true
			}
			p = filepath.Join(l.baseDir, p)
		}
		cands = append(cands, filepath.Clean(p))
	}
	for _, c := range cands {
		if l.self != "" && c == l.self {
			// the file includes itself (it may only exist in memory)
			if r, err := filepath.EvalSymlinks(c); err == nil {
				return []string{r}, "", false
			}
			return []string{c}, "", false
		}
		st, err := os.Stat(c)
		if err != nil {
			continue
		}
		real, err := filepath.EvalSymlinks(c)
		if err != nil {
			continue
		}
		if !l.isAllowed(real) {
			return nil, fmt.Sprintf("include %s resolves to %s, outside the include directories and the workspace; not read", inc.display(), c), false
		}
		if st.IsDir() {
			ents, err := os.ReadDir(real)
			if err != nil {
				return nil, "", true
			}
			names := make([]string, 0, len(ents))
			for _, e := range ents {
				names = append(names, e.Name())
			}
			sort.Strings(names)
			for _, n := range names {
				if skipIncludeName(n) {
					continue
				}
				fp := filepath.Join(real, n)
				fr, err := filepath.EvalSymlinks(fp)
				if err != nil {
					continue
				}
				if !l.isAllowed(fr) {
					return nil, fmt.Sprintf("include %s contains %s, which resolves outside the include directories and the workspace; not read", inc.display(), n), false
				}
				if fst, err := os.Stat(fr); err == nil && fst.Mode().IsRegular() {
					paths = append(paths, fr)
				}
			}
			return paths, "", false
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Sprintf("include %s is not a regular file; not read", inc.display()), false
		}
		return []string{real}, "", false
	}
	return nil, "", true
}

// skipIncludeName mirrors the files apparmor_parser ignores when it
// includes a directory: dot files, README and package manager leftovers.
func skipIncludeName(n string) bool {
	if n == "" || n[0] == '.' || n == "README" || strings.HasSuffix(n, "~") {
		return true
	}
	for _, suf := range []string{".dpkg-new", ".dpkg-old", ".dpkg-dist", ".dpkg-bak", ".dpkg-remove", ".pacsave", ".pacnew", ".rpmnew", ".rpmsave", ".orig", ".rej"} {
		if strings.HasSuffix(n, suf) {
			return true
		}
	}
	return false
}

func (l *loader) isAllowed(real string) bool {
	for _, d := range l.allowed {
		rel, err := filepath.Rel(d, real)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// displayPath names a file in messages: relative to the root when inside
// it, else as is.
func (l *loader) displayPath(abs string) string {
	if l.root != "" {
		if rel, err := filepath.Rel(l.root, abs); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
	}
	return abs
}

// read parses an include file (path already resolved and allowed).
func (l *loader) read(abs string) *File {
	if f, ok := l.parsed[abs]; ok {
		return f
	}
	l.files++
	if l.files > maxIncludeFiles {
		return nil
	}
	f := l.cache.get(abs, l.displayPath(abs))
	if f == nil {
		return nil
	}
	l.parsed[abs] = f
	l.pol.Includes = append(l.pol.Includes, abs)
	return f
}

// FileCache keeps parsed include files between loads, keyed by path, size
// and modification time, and remembers how includes resolved; the linter
// shares one across the files of a run (files are not expected to change
// during a run).
type FileCache struct {
	mu       sync.Mutex
	m        map[string]cached
	resolved map[string]resolution
}

type cached struct {
	size, mtime int64
	name        string
	f           *File
}

// NewFileCache returns an empty cache.
func NewFileCache() *FileCache {
	return &FileCache{m: map[string]cached{}, resolved: map[string]resolution{}}
}

const fileCacheMax = 4096

func (c *FileCache) get(abs, name string) *File {
	st, err := os.Stat(abs)
	if err != nil || !st.Mode().IsRegular() || st.Size() > maxIncludeSize {
		return nil
	}
	if c != nil {
		c.mu.Lock()
		e, ok := c.m[abs]
		c.mu.Unlock()
		if ok && e.size == st.Size() && e.mtime == st.ModTime().UnixNano() && e.name == name {
			return e.f
		}
	}
	src, err := readLimited(abs, maxIncludeSize)
	if err != nil {
		return nil
	}
	f := parse(name, src)
	if c != nil {
		c.mu.Lock()
		if len(c.m) < fileCacheMax {
			c.m[abs] = cached{size: st.Size(), mtime: st.ModTime().UnixNano(), name: name, f: f}
		}
		c.mu.Unlock()
	}
	return f
}

func readLimited(path string, max int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errors.New("file too large")
	}
	return b, nil
}
