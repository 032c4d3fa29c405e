package apparmor

import (
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/lint"
)

// New returns the AppArmor checker. It is safe for concurrent use; it
// shares parsed include files between the files of a run.
func New() lint.Checker { return &checker{cache: NewFileCache(), systemDir: SystemDir} }

// newChecker is New with another system include directory (tests use a
// fixture tree so that results do not depend on the machine).
func newChecker(systemDir string) *checker {
	return &checker{cache: NewFileCache(), systemDir: systemDir}
}

type checker struct {
	cache     *FileCache
	systemDir string
}

func (c *checker) Name() string { return "apparmor" }

func (c *checker) Detect(f *lint.File) bool { return Detect(f) }

func (c *checker) Check(ctx *lint.Context, f *lint.File) []lint.Finding {
	if ctx == nil {
		ctx = &lint.Context{}
	}
	if ctx.Config == nil {
		ctx.Config = config.Default()
	}
	if isSPO(f) {
		return c.checkSPO(ctx, f)
	}
	return c.checkPolicy(ctx, f, f.Content, identityMap{}, "")
}

// posMap turns positions in the policy text into positions in the linted
// file: the identity for profile files, an offset into a YAML block
// scalar for SPO objects.
type posMap interface {
	span(Span) lint.Span
}

type identityMap struct{}

func (identityMap) span(s Span) lint.Span {
	return lint.Span{Start: lint.Pos{Line: s.Start.Line, Col: s.Start.Col}, End: lint.Pos{Line: s.End.Line, Col: s.End.Col}}
}

// finding is a finding in policy coordinates.
type finding struct {
	rule string
	sp   Span
	msg  string
	fix  string
	sev  lint.Severity
}

// pass is one rule run over one loaded policy.
type pass struct {
	pol  *Policy
	cfg  *config.File
	rule string
	out  []finding
}

// report adds a finding of the running rule.
func (ps *pass) report(sp Span, fix, format string, args ...any) *finding {
	ps.out = append(ps.out, finding{rule: ps.rule, sp: sp, msg: sprintf(format, args...), fix: fix})
	return &ps.out[len(ps.out)-1]
}

// ownEntries calls fn for every entry of every profile that is written in
// the linted file (rules from included files are not the author's to fix,
// though their deny rules still count).
func (ps *pass) ownEntries(fn func(prof *Profile, e *Entry)) {
	for _, prof := range ps.pol.AllProfiles() {
		for i := range prof.Entries {
			if e := &prof.Entries[i]; e.Own() {
				fn(prof, e)
			}
		}
	}
}

// ownProfiles returns the top-level profiles written in the linted file.
func (ps *pass) ownProfiles() []*Profile {
	var out []*Profile
	for _, p := range ps.pol.Profiles {
		if p.file == ps.pol.File {
			out = append(out, p)
		}
	}
	return out
}

type check struct {
	id string
	fn func(*pass)
}

var checks []check

// register records a rule's metadata and, when fn is not nil, the function
// that checks a loaded policy. Rules with a nil fn are reported by the
// checker itself (parse problems, apparmor_parser, suppressions).
func register(r lint.Rule, fn func(*pass)) {
	lint.RegisterRules(r)
	if fn != nil {
		checks = append(checks, check{r.ID, fn})
		sort.Slice(checks, func(i, j int) bool { return checks[i].id < checks[j].id })
	}
}

// Rule IDs reported by the checker machinery.
const (
	ruleParse             = "apparmor/parse"
	ruleParserRejected    = "apparmor/parser-rejected"
	ruleUnknownInclude    = "apparmor/unknown-include"
	ruleIncludeLoop       = "apparmor/include-loop"
	ruleUndefinedVariable = "apparmor/undefined-variable"
	ruleUnusedSuppression = "apparmor/unused-suppression"
)

// loadOptions builds the Load options for a file of the run.
func (c *checker) loadOptions(ctx *lint.Context, f *lint.File) []Option {
	opts := []Option{WithSystemDir(c.systemDir), WithFileCache(c.cache), WithIncludeDirs(includeDirs(ctx)...)}
	if abstractionFile(f) {
		opts = append(opts, AsAbstraction())
	}
	if ctx.Root != "" {
		opts = append(opts, WithRoot(ctx.Root), WithBaseDir(filepath.Join(ctx.Root, filepath.FromSlash(path.Dir(f.Path)))))
	} else if f.Abs != "" {
		opts = append(opts, WithBaseDir(filepath.Dir(f.Abs)))
	}
	return opts
}

// abstractionFile reports whether f is meant to be included in a profile
// rather than loaded: it lies in an abstractions/ directory, or its
// top-level profiles are all hats (snippets like apache2.d/*).
func abstractionFile(f *lint.File) bool {
	for _, d := range strings.Split(path.Dir(f.Path), "/") {
		if d == "abstractions" {
			return true
		}
	}
	if isSPO(f) {
		return false
	}
	pf := parse(f.Path, f.Content)
	hats := 0
	for _, s := range pf.Stmts {
		switch s := s.(type) {
		case *Profile:
			if !s.IsHat() {
				return false
			}
			hats++
		case *Variable:
			return false
		case *Include:
			if strings.HasPrefix(s.Target, "tunables/") {
				return false
			}
		}
	}
	return hats > 0
}

// includeDirs returns the configured include directories as absolute
// paths (relative ones are relative to the configuration file).
func includeDirs(ctx *lint.Context) []string {
	var out []string
	for _, d := range ctx.Config.Lint.AppArmor.Includes {
		d = ctx.Config.Resolve(d)
		if abs, err := filepath.Abs(d); err == nil {
			out = append(out, abs)
		}
	}
	return out
}

// checkPolicy lints one policy text. name prefixes messages (SPO objects).
func (c *checker) checkPolicy(ctx *lint.Context, lf *lint.File, src []byte, m posMap, name string) []lint.Finding {
	pol := Load(lf.Path, src, c.loadOptions(ctx, lf)...)
	var fs []finding
	fs = append(fs, c.problemFindings(ctx, pol)...)
	parserRan := false
	if pf, ran := c.runParser(ctx, lf, src, pol); ran || len(pf) > 0 {
		parserRan = ran
		fs = append(fs, pf...)
	}
	for _, ck := range checks {
		ps := &pass{pol: pol, cfg: ctx.Config, rule: ck.id}
		ck.fn(ps)
		fs = append(fs, ps.out...)
	}
	if pol.Truncated {
		fs = append(fs, finding{rule: ruleParse, sp: firstSpan(pol), sev: lint.Warning,
			msg: sprintf("the policy is too large to analyse fully: the risk rules stopped after %d pattern matches, so findings may be missing", maxMatchWork)})
	}
	fs = applySuppressions(pol.File, fs, parserRan)
	out := make([]lint.Finding, 0, len(fs))
	for _, x := range fs {
		msg := x.msg
		if name != "" {
			msg = name + ": " + msg
		}
		lf2 := lint.At(lf.Path, x.rule, m.span(x.sp), "%s", msg)
		if x.fix != "" {
			lf2 = lf2.WithFix("%s", x.fix)
		}
		if x.sev != lint.SeverityUnset {
			lf2 = lf2.WithSeverity(x.sev)
		}
		out = append(out, lf2)
	}
	return out
}

// problemFindings turns Load's problems into findings. A problem inside an
// included file is reported at the include statement that leads to it;
// when that file lies outside the workspace and the system directory its
// text is not quoted (include directories come from configuration, which
// a pull request may change).
func (c *checker) problemFindings(ctx *lint.Context, pol *Policy) []finding {
	var out []finding
	for _, p := range pol.Problems {
		rule := ruleParse
		sev := lint.SeverityUnset
		switch p.Kind {
		case ProblemUnknownInclude:
			rule = ruleUnknownInclude
		case ProblemIncludeLoop:
			rule = ruleIncludeLoop
		case ProblemUndefinedVariable:
			rule = ruleUndefinedVariable
		case ProblemWarning:
			sev = lint.Warning
		}
		if p.Via == nil {
			out = append(out, finding{rule: rule, sp: p.Err.Span, msg: p.Err.Msg, sev: sev})
			continue
		}
		if p.Kind == ProblemWarning {
			// an unknown name in an included file is not this file's to
			// fix (a workspace abstraction is linted on its own)
			continue
		}
		msg := p.Err.Msg
		if !c.trusted(ctx, p.Err.File) {
			msg = "problem not shown: the file is outside the workspace"
		}
		out = append(out, finding{rule: rule, sp: p.Via.Span, sev: sev,
			msg: "in included file " + p.Err.File + ":" + itoa(p.Err.Start.Line) + ":" + itoa(p.Err.Start.Col) + ": " + msg})
	}
	return out
}

// trusted reports whether the text of name (an included file, absolute or
// relative to the root) may be quoted in findings.
func (c *checker) trusted(ctx *lint.Context, name string) bool {
	if !filepath.IsAbs(name) {
		return !strings.HasPrefix(name, "..")
	}
	for _, d := range []string{c.systemDir, ctx.Root} {
		if d == "" {
			continue
		}
		if abs, err := filepath.Abs(d); err == nil {
			d = abs
		}
		if rel, err := filepath.Rel(d, name); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return true
		}
	}
	return false
}

var (
	sprintf = fmt.Sprintf
	itoa    = strconv.Itoa
)
