package seccomp

import (
	"fmt"
	"sort"
	"strings"

	"github.com/secprof/secprof/lint"
)

// Shared reasoning for the rules: what a runtime does with a profile.

// ret is an action as runc hands it to libseccomp: the action plus the
// errno it returns. runc treats SCMP_ACT_KILL as SCMP_ACT_KILL_THREAD and
// uses EPERM when ERRNO/TRACE name no errno.
type ret struct {
	action string
	errno  uint64
}

func (r ret) String() string {
	if r.action == ActErrno || r.action == ActTrace {
		return fmt.Sprintf("%s(%s)", r.action, errnoName(r.errno))
	}
	return r.action
}

func normAction(action string, errno Field[uint64]) ret {
	r := ret{action: action}
	if action == ActKill {
		r.action = ActKillThread
	}
	if action == ActErrno || action == ActTrace {
		r.errno = 1 // EPERM
		if errno.Set {
			r.errno = errno.V
		}
	}
	return r
}

func (ps *pass) env() env { return newEnv(ps.p, ps.rt) }

// partial reports whether the profile is only part of what gets loaded: an
// SPO profile with baseProfileName is unioned with its base, so rules that
// judge what the whole profile allows cannot decide from this file alone.
func (ps *pass) partial() bool { return ps.p.BaseProfileName.Set && ps.p.BaseProfileName.V != "" }

// defaultRet is the profile's default action as runc applies it.
func (ps *pass) defaultRet() ret {
	p := ps.p
	e := ps.env()
	errno := p.DefaultErrnoRet
	if !e.keeps("defaultErrnoRet") {
		errno = Field[uint64]{}
	}
	if !errno.Set && p.DefaultErrno.Set && e.keeps("defaultErrno") {
		if n, ok := errnoNames[p.DefaultErrno.V]; ok {
			errno = Field[uint64]{V: n, Set: true}
		}
	}
	return normAction(p.DefaultAction.V, errno)
}

// ruleRet is rule s's action as runc applies it.
func (ps *pass) ruleRet(s *Syscall) ret {
	errno := s.ErrnoRet
	if !errno.Set && s.Errno.Set && ps.env().keeps("errno") {
		if n, ok := errnoNames[s.Errno.V]; ok {
			errno = Field[uint64]{V: n, Set: true}
		}
	}
	return normAction(s.Action.V, errno)
}

// names returns the names of s the runtime reads (Docker's singular name
// only where it is honoured).
func (ps *pass) names(s *Syscall) []Field[string] {
	if ps.env().keeps("name") {
		return s.AllNames()
	}
	return s.Names.Items
}

// outcome is what happens to a call of one syscall whose arguments match no
// conditional rule.
type outcome struct {
	ret  ret
	rule *Syscall      // the rule deciding it; nil when the default does
	name Field[string] // where the rule names the syscall
	// conditional lists rules that decide only for some arguments.
	conditional []*Syscall
}

// outcome resolves syscall name as libseccomp would for a container in the
// runtime's default environment: the first unconditional rule that applies
// (libseccomp keeps the first of two unconditional rules) unless runc skips
// it for repeating the default action; else the default action.
func (ps *pass) outcome(name string) outcome {
	def := ps.defaultRet()
	o := outcome{ret: def}
	e := ps.env()
	for _, s := range ps.p.Syscalls {
		if !s.Action.Set || !e.applies(s) {
			continue
		}
		for _, n := range ps.names(s) {
			if n.V != name {
				continue
			}
			r := ps.ruleRet(s)
			if r == def {
				continue
			}
			if len(s.Args) > 0 {
				o.conditional = append(o.conditional, s)
				continue
			}
			if o.rule == nil {
				o.ret, o.rule, o.name = r, s, n
			}
		}
	}
	return o
}

// where returns the span to report an outcome at: the name in the
// deciding rule, or the defaultAction value.
func (ps *pass) where(o outcome) lint.Span {
	if o.rule != nil {
		return o.name.At
	}
	if ps.p.DefaultAction.Set {
		return ps.p.DefaultAction.At
	}
	return ps.p.At
}

// by describes who decides an outcome, for messages.
func (ps *pass) by(o outcome) string {
	if o.rule != nil {
		return fmt.Sprintf("the rule at line %d", o.rule.At.Start.Line)
	}
	return "defaultAction"
}

// signature renders a rule's argument conditions and includes/excludes in
// a canonical form: two rules with the same signature match the same calls.
func signature(s *Syscall) string {
	var parts []string
	for _, a := range s.Args {
		parts = append(parts, fmt.Sprintf("%d %s %d %d", a.Index.V, a.Op.V, a.Value.V, a.ValueTwo.V))
	}
	sort.Strings(parts)
	return strings.Join(parts, ";") + "|" + filterSig("in", s.Includes) + "|" + filterSig("ex", s.Excludes)
}

func filterSig(tag string, f *Filter) string {
	if f.IsEmpty() {
		return ""
	}
	caps, arches := f.Caps.Values(), f.Arches.Values()
	sort.Strings(caps)
	sort.Strings(arches)
	return tag + strings.Join(caps, ",") + "/" + strings.Join(arches, ",") + "/" + f.MinKernel.V
}

// line is "line N" for messages that refer to another place.
func line(sp lint.Span) string { return fmt.Sprintf("line %d", sp.Start.Line) }
