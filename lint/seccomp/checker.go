package seccomp

import (
	"sort"

	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/lint"
)

// New returns the seccomp checker. It is stateless and safe for concurrent
// use.
func New() lint.Checker { return checker{} }

type checker struct{}

func (checker) Name() string { return "seccomp" }

func (checker) Detect(f *lint.File) bool { return Detect(f) }

func (checker) Check(ctx *lint.Context, f *lint.File) []lint.Finding {
	cfg := config.Default()
	if ctx != nil && ctx.Config != nil {
		cfg = ctx.Config
	}
	profiles, findings := ParseFile(f)
	rt := RuntimeFromConfig(cfg)
	for _, p := range profiles {
		findings = append(findings, Lint(p, rt)...)
	}
	return findings
}

// Lint runs every rule but seccomp/parse and seccomp/schema (which
// ParseFile reports) on p as the runtime rt would load it.
func Lint(p *Profile, rt Runtime) []lint.Finding {
	ps := &pass{p: p, rt: rt}
	for _, r := range checks {
		ps.rule = r.id
		r.check(ps)
	}
	return ps.findings
}

// pass is one rule run over one profile.
type pass struct {
	p        *Profile
	rt       Runtime
	rule     string
	findings []lint.Finding
}

// at returns a finding of the running rule at sp.
func (ps *pass) at(sp lint.Span, format string, args ...any) lint.Finding {
	f := lint.At(ps.p.File.Path, ps.rule, sp, format, args...)
	if ps.p.Format == FormatSPO && ps.p.Name.Set {
		f.Message = "SeccompProfile " + ps.p.Name.V + ": " + f.Message
	}
	return f
}

func (ps *pass) add(f lint.Finding) { ps.findings = append(ps.findings, f) }

type check struct {
	id    string
	check func(*pass)
}

var checks []check

// register records a rule's metadata and, when fn is not nil, the function
// that checks a parsed profile.
func register(r lint.Rule, fn func(*pass)) {
	lint.RegisterRules(r)
	if fn != nil {
		checks = append(checks, check{r.ID, fn})
		sort.Slice(checks, func(i, j int) bool { return checks[i].id < checks[j].id })
	}
}
