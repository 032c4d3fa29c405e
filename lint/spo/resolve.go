package spo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/seccomp"
)

// MaxDepth is how many levels of base profiles the operator resolves: it
// gives up on reaching level 15, so a profile may have at most 14 bases
// above it (resolveSyscallsForProfile, maxLevel = 15).
const MaxDepth = 15

// Link is one profile of a chain: the profile being resolved, then its
// base, the base's base, and so on.
type Link struct {
	Profile *seccomp.Profile
	// Ref is the baseProfileName that led here (zero for the first link).
	Ref BaseRef
	// Remote is the pulled artifact of an oci:// base (nil for profiles
	// of the workspace).
	Remote *Artifact
}

// Source names where the link's profile is written: its workspace path,
// or oci://ref@digest.
func (l *Link) Source() string {
	if l.Remote != nil {
		return OCIPrefix + l.Remote.Ref + "@" + l.Remote.Digest
	}
	return l.Profile.File.Path
}

// Name is the profile's name for messages.
func (l *Link) Name() string {
	if l.Remote != nil {
		return OCIPrefix + l.Remote.Ref
	}
	if l.Profile.Name.Set {
		return l.Profile.Name.V
	}
	return l.Profile.File.Path
}

// Chain is a resolved profile and its bases, nearest first.
type Chain []*Link

// Names renders the chain for messages: "app → runc → oci://…".
func (c Chain) Names() string {
	parts := make([]string, len(c))
	for i, l := range c {
		parts[i] = l.Name()
	}
	return strings.Join(parts, " → ")
}

// Problem is a resolution failure or warning, reported at the
// baseProfileName of At (a profile of the workspace).
type Problem struct {
	Rule     string
	At       *seccomp.Profile
	Severity lint.Severity // unset: the rule's default
	Msg      string
}

// Finding renders the problem.
func (p Problem) Finding() lint.Finding {
	sp := p.At.BaseProfileName.At
	if !sp.Start.IsValid() {
		sp = p.At.At
	}
	f := lint.At(p.At.File.Path, p.Rule, sp, "%s", p.Msg)
	if p.Severity != lint.SeverityUnset {
		f = f.WithSeverity(p.Severity)
	}
	return f
}

// LocalFinder returns the SeccompProfile object called name (in namespace
// ns when the objects say one) among the profiles secprof knows, or nil.
type LocalFinder func(name, ns string) *seccomp.Profile

// Resolver resolves baseProfileName chains.
type Resolver struct {
	Local LocalFinder
	// Puller pulls oci:// bases; nil means they cannot be resolved.
	Puller *Puller
}

// Resolve follows p's baseProfileName chain as the operator does. The
// chain is complete when no problem is an error.
func (r *Resolver) Resolve(ctx context.Context, p *seccomp.Profile) (Chain, []Problem) {
	chain := Chain{{Profile: p}}
	var problems []Problem
	seen := map[string]int{linkKey(chain[0]): 0}
	// at is the workspace profile findings about the chain point at: the
	// nearest one that is a file of the workspace.
	at := p
	for depth := 1; ; depth++ {
		cur := chain[len(chain)-1]
		bp := cur.Profile.BaseProfileName
		if !bp.Set || bp.V == "" {
			return chain, problems
		}
		if cur.Remote == nil {
			at = cur.Profile
		}
		via := ""
		if cur.Profile != p {
			via = fmt.Sprintf("base profile %s (of %s) names %q, which ", cur.Name(), chain.Names(), bp.V)
		}
		ref, err := ParseBaseRef(bp.V)
		if err != nil {
			return chain, append(problems, Problem{Rule: RuleBaseProfileNotFound, At: at, Msg: via + err.Error()})
		}
		if depth >= MaxDepth {
			return chain, append(problems, Problem{Rule: RuleBaseProfileDepth, At: p,
				Msg: fmt.Sprintf("the chain of base profiles is deeper than the operator resolves (%d levels): %s → %s …", MaxDepth, chain.Names(), ref.Raw)})
		}
		var base *Link
		if ref.OCI {
			if !ref.Pinned() {
				problems = append(problems, Problem{Rule: RuleUnpinnedBaseProfile, At: at,
					Msg: unpinnedMessage(via, ref)})
			}
			base, err = r.pull(ctx, ref)
			if err != nil {
				pr := Problem{Rule: RuleBaseProfileNotFound, At: at,
					Msg: fmt.Sprintf("%scannot be used: %v", prefix(via, "base profile "+ref.Raw+" "), err)}
				var pe *PullError
				if errors.As(err, &pe) && pe.Unavailable {
					// Not a verdict on the profile: say it could not be
					// checked, without failing the build on a network outage.
					pr.Severity = lint.Warning
					pr.Msg = fmt.Sprintf("%scould not be checked: %v", prefix(via, "base profile "+ref.Raw+" "), err)
				}
				return chain, append(problems, pr)
			}
		} else {
			ns := cur.Profile.Namespace.V
			if ns == "" {
				ns = p.Namespace.V
			}
			var found *seccomp.Profile
			if r.Local != nil {
				found = r.Local(ref.Name, ns)
			}
			if found == nil {
				where := ""
				if ns != "" {
					where = " in namespace " + ns
				}
				return chain, append(problems, Problem{Rule: RuleBaseProfileNotFound, At: at,
					Msg: fmt.Sprintf("%sis no SeccompProfile of the linted files%s: the operator cannot install %s until it exists (or use an oci:// reference)", prefix(via, fmt.Sprintf("base profile %q ", ref.Name)), where, chainHead(p))})
			}
			base = &Link{Profile: found, Ref: ref}
		}
		key := linkKey(base)
		if i, ok := seen[key]; ok {
			cycle := append(append(Chain(nil), chain[i:]...), base)
			return chain, append(problems, Problem{Rule: RuleBaseProfileCycle, At: p,
				Msg: fmt.Sprintf("base profiles form a cycle: %s; the operator recurses until it gives up at level %d", cycle.Names(), MaxDepth)})
		}
		seen[key] = len(chain)
		chain = append(chain, base)
	}
}

func prefix(via, otherwise string) string {
	if via != "" {
		return via
	}
	return otherwise
}

func chainHead(p *seccomp.Profile) string {
	if p.Name.Set {
		return "SeccompProfile " + p.Name.V
	}
	return "this profile"
}

func unpinnedMessage(via string, ref BaseRef) string {
	return fmt.Sprintf("%s%s is pinned by tag only: what it names can change under the same name (the operator re-pulls it at least every 24 hours); pin it by digest (%s@sha256:…)",
		prefix(via, "base profile "), ref.Raw, strings.TrimSuffix(OCIPrefix+ref.Registry+"/"+ref.Repository+":"+ref.Tag, ":"))
}

// linkKey identifies a profile for cycle detection: its file and document,
// or its artifact digest.
func linkKey(l *Link) string {
	if l.Remote != nil {
		return "oci:" + l.Remote.Digest
	}
	return fmt.Sprintf("file:%s#%d", l.Profile.File.Path, l.Profile.Document)
}

// pull fetches and parses an oci:// base.
func (r *Resolver) pull(ctx context.Context, ref BaseRef) (*Link, error) {
	if r.Puller == nil {
		return nil, fmt.Errorf("pulling OCI artifacts is not enabled")
	}
	art, err := r.Puller.Pull(ctx, ref)
	if err != nil {
		return nil, err
	}
	name := OCIPrefix + ref.Artifact()
	profiles, findings := seccomp.ParseBytes(name, art.Content)
	for _, f := range findings {
		if f.Rule == seccomp.RuleParse {
			return nil, fmt.Errorf("layer %s is not a seccomp profile: %d:%d: %s", firstNonEmpty(art.Layer, "(untitled)"), f.Line, f.Column, f.Message)
		}
	}
	if len(profiles) == 0 {
		return nil, fmt.Errorf("layer %s holds no SeccompProfile", firstNonEmpty(art.Layer, "(untitled)"))
	}
	return &Link{Profile: profiles[0], Ref: ref, Remote: art}, nil
}

// LocalIndex maps SeccompProfile names to the objects of a set of files.
type LocalIndex map[string][]*seccomp.Profile

// NewLocalIndex parses the SPO SeccompProfile objects of files (others are
// skipped). Files are taken in path order so that a name defined twice
// resolves the same way every run.
func NewLocalIndex(files []*lint.File) LocalIndex {
	sorted := append([]*lint.File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	idx := LocalIndex{}
	for _, f := range sorted {
		if !IsSeccompProfileObject(f) {
			continue
		}
		profiles, _ := seccomp.ParseFile(f)
		for _, p := range profiles {
			if p.Format == seccomp.FormatSPO && p.Name.Set {
				idx[p.Name.V] = append(idx[p.Name.V], p)
			}
		}
	}
	return idx
}

// Find implements LocalFinder: an object of namespace ns, else one without
// a namespace (which a kubectl apply puts in the current namespace).
func (idx LocalIndex) Find(name, ns string) *seccomp.Profile {
	var loose *seccomp.Profile
	for _, p := range idx[name] {
		switch {
		case p.Namespace.V == ns:
			return p
		case (p.Namespace.V == "" || ns == "") && loose == nil:
			loose = p
		}
	}
	return loose
}
