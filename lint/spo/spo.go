// Package spo understands how the Security Profiles Operator composes
// seccomp profiles: a SeccompProfile's baseProfileName names another
// SeccompProfile object of the cluster, or an OCI artifact
// (oci://registry/repository:tag[@digest]) holding one, whose syscalls are
// merged into it, recursively. It resolves those chains — local objects
// from the linted files, artifacts pulled with oras-go and cached on disk —
// reports the chains the operator would refuse, flattens them into the
// profile the operator installs (Flatten), and lints that composed profile
// with the seccomp rules, pointing each finding at the file that wrote the
// rule at fault.
package spo

import (
	"bytes"
	"regexp"
	"sync"

	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/seccomp"
)

// Rule IDs of this package (docs/rules/spo/<name>.md).
const (
	RuleBaseProfileNotFound = "spo/base-profile-not-found"
	RuleBaseProfileCycle    = "spo/base-profile-cycle"
	RuleBaseProfileDepth    = "spo/base-profile-depth"
	RuleUnpinnedBaseProfile = "spo/unpinned-base-profile"
	RuleBaseOverridesRule   = "spo/base-overrides-rule"
)

// Checker lints SeccompProfile objects that name a base profile.
type Checker struct {
	puller *Puller
	mu     sync.Mutex
	local  map[*lint.Context]*lazyIndex
}

type lazyIndex struct {
	once sync.Once
	idx  LocalIndex
}

// Option configures a Checker.
type Option func(*Checker)

// WithPuller sets how oci:// bases are pulled (nil: they are not).
func WithPuller(p *Puller) Option { return func(c *Checker) { c.puller = p } }

// New returns the SPO composition checker. oci:// bases are pulled into
// DefaultCacheDir (SECPROF_OFFLINE=1: from the cache only).
func New(opts ...Option) *Checker {
	c := &Checker{puller: NewPuller()}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Name implements lint.Checker.
func (*Checker) Name() string { return "spo" }

var jsonKindRE = regexp.MustCompile(`"kind"\s*:\s*"SeccompProfile"`)

// IsSeccompProfileObject reports whether f holds SPO SeccompProfile
// objects (YAML, or the JSON form of the object).
func IsSeccompProfileObject(f *lint.File) bool {
	if f.LooksLikeJSON() {
		return jsonKindRE.Match(f.Content)
	}
	return f.HasYAMLKind("SeccompProfile")
}

// Detect implements lint.Checker: SeccompProfile objects with a
// baseProfileName.
func (*Checker) Detect(f *lint.File) bool {
	return IsSeccompProfileObject(f) && bytes.Contains(f.Content, []byte("baseProfileName"))
}

// Check implements lint.Checker. Syntax and schema problems are the
// seccomp checker's to report.
func (c *Checker) Check(ctx *lint.Context, f *lint.File) []lint.Finding {
	profiles, _ := seccomp.ParseFile(f)
	var out []lint.Finding
	r := &Resolver{Local: c.index(ctx).Find, Puller: c.puller}
	rt := seccomp.RuntimeFromConfig(ctx.Config)
	for _, p := range profiles {
		if !p.BaseProfileName.Set || p.BaseProfileName.V == "" {
			continue
		}
		chain, problems := r.Resolve(ctx.Context, p)
		complete := true
		for _, pr := range problems {
			out = append(out, pr.Finding())
			if pr.Rule != RuleUnpinnedBaseProfile {
				complete = false
			}
		}
		if !complete {
			continue
		}
		out = append(out, Flatten(chain).OverrideFindings()...)
		out = append(out, lintComposition(chain, rt)...)
	}
	return out
}

// index returns the SeccompProfile objects of the run, parsed once.
func (c *Checker) index(ctx *lint.Context) LocalIndex {
	c.mu.Lock()
	if c.local == nil || len(c.local) > 8 {
		c.local = map[*lint.Context]*lazyIndex{}
	}
	l := c.local[ctx]
	if l == nil {
		l = &lazyIndex{}
		c.local[ctx] = l
	}
	c.mu.Unlock()
	l.once.Do(func() { l.idx = NewLocalIndex(ctx.Files) })
	return l.idx
}
