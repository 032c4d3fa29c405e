package profdiff

import (
	"fmt"
	"sort"
	"strings"

	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/seccomp"
)

// actClass orders seccomp actions by how much they let through: a change
// to a higher class loosens the profile.
type actClass int

const (
	classDeny     actClass = iota // KILL*, TRAP, ERRNO: the syscall does not run
	classDelegate                 // TRACE, NOTIFY: another process decides
	classPermit                   // ALLOW, LOG: the syscall runs
)

func classOf(action string) actClass {
	switch {
	case seccomp.Permits(action):
		return classPermit
	case action == seccomp.ActTrace || action == seccomp.ActNotify:
		return classDelegate
	}
	// Denying actions, and unknown ones, which the runtime rejects.
	return classDeny
}

// scAct is what happens to one syscall under one condition.
type scAct struct {
	action string
	errno  string // "" when not set
	// at locates the rule in its file.
	at lint.Pos
}

func (a scAct) String() string {
	if a.errno != "" {
		return a.action + "(" + a.errno + ")"
	}
	return a.action
}

// scPosture is a profile reduced to what decides each syscall's fate, as
// the runtime loads it (Spec): the default, and per syscall the action
// without conditions and the actions under argument conditions.
type scPosture struct {
	def      scAct
	uncond   map[string]scAct
	cond     map[string]map[string]scAct // syscall → canonical condition → action
	archs    []string
	archAt   map[string]lint.Pos
	flags    []string
	listener string
	base     string
	// positions of the fields, for the items about them
	flagAt             map[string]lint.Pos
	listenerAt, baseAt lint.Pos
	names              []string // every syscall named, sorted
	at                 map[string]lint.Pos
}

func posture(p *seccomp.Profile, rt seccomp.Runtime) *scPosture {
	spec := p.Spec(seccomp.ForRuntime(rt))
	ps := &scPosture{
		def:        scAct{action: spec.DefaultAction, at: p.DefaultAction.At.Start},
		uncond:     map[string]scAct{},
		cond:       map[string]map[string]scAct{},
		archAt:     map[string]lint.Pos{},
		at:         map[string]lint.Pos{},
		listener:   spec.ListenerPath,
		base:       p.BaseProfileName.V,
		flagAt:     map[string]lint.Pos{},
		listenerAt: p.ListenerPath.At.Start,
		baseAt:     p.BaseProfileName.At.Start,
	}
	for _, f := range p.Flags.Items {
		if _, ok := ps.flagAt[f.V]; !ok {
			ps.flagAt[f.V] = f.At.Start
		}
	}
	if spec.DefaultErrnoRet != nil {
		ps.def.errno = fmt.Sprint(*spec.DefaultErrnoRet)
	}
	ps.archs = uniqSorted(spec.Architectures)
	for _, a := range p.Architectures.Items {
		if _, ok := ps.archAt[a.V]; !ok {
			ps.archAt[a.V] = a.At.Start
		}
	}
	ps.flags = uniqSorted(spec.Flags)
	// Positions of names in the file: the first rule naming a syscall.
	for _, s := range p.Syscalls {
		for _, n := range s.AllNames() {
			if _, ok := ps.at[n.V]; !ok {
				ps.at[n.V] = n.At.Start
			}
		}
	}
	seen := map[string]bool{}
	for _, s := range spec.Syscalls {
		act := scAct{action: s.Action}
		if s.ErrnoRet != nil {
			act.errno = fmt.Sprint(*s.ErrnoRet)
		}
		cond := condition(s.Args)
		for _, n := range s.Names {
			act.at = ps.at[n]
			if !seen[n] {
				seen[n] = true
				ps.names = append(ps.names, n)
			}
			// The first rule for a syscall and condition is the one
			// libseccomp keeps; later ones are what the linter's
			// conflicting-rules and duplicate-syscall rules report.
			if cond == "" {
				if _, ok := ps.uncond[n]; !ok {
					ps.uncond[n] = act
				}
				continue
			}
			m := ps.cond[n]
			if m == nil {
				m = map[string]scAct{}
				ps.cond[n] = m
			}
			if _, ok := m[cond]; !ok {
				m[cond] = act
			}
		}
	}
	sort.Strings(ps.names)
	return ps
}

// effective is the action for name when no argument condition matches.
func (ps *scPosture) effective(name string) (scAct, bool) {
	if a, ok := ps.uncond[name]; ok {
		return a, true
	}
	return ps.def, false
}

var opSymbols = map[string]string{
	"SCMP_CMP_NE": "!=", "SCMP_CMP_LT": "<", "SCMP_CMP_LE": "<=",
	"SCMP_CMP_EQ": "==", "SCMP_CMP_GE": ">=", "SCMP_CMP_GT": ">",
}

// condition renders a rule's argument comparisons canonically, so the same
// conditions written in another order compare equal.
func condition(args []seccomp.LinuxSeccompArg) string {
	if len(args) == 0 {
		return ""
	}
	parts := make([]string, 0, len(args))
	for _, a := range args {
		if a.Op == "SCMP_CMP_MASKED_EQ" {
			// runc passes value as the mask and valueTwo as the datum
			parts = append(parts, fmt.Sprintf("arg%d & %#x == %#x", a.Index, a.Value, a.ValueTwo))
			continue
		}
		sym, ok := opSymbols[a.Op]
		if !ok {
			sym = a.Op
		}
		parts = append(parts, fmt.Sprintf("arg%d %s %#x", a.Index, sym, a.Value))
	}
	sort.Strings(parts)
	return strings.Join(parts, " && ")
}

func compareSeccomp(fd *FileDiff, of, nf *lint.File, opt Options) {
	rt := opt.Runtime
	if rt == "" {
		rt = seccomp.Containerd
	}
	parse := func(side string, f *lint.File) []*seccomp.Profile {
		if f == nil {
			return nil
		}
		ps, findings := seccomp.ParseFile(f)
		if len(ps) == 0 {
			for _, fi := range findings {
				if fi.Rule == seccomp.RuleParse {
					fd.Errors = append(fd.Errors, fmt.Sprintf("%s %s:%d:%d: %s", side, f.Path, fi.Line, fi.Column, fi.Message))
				}
			}
			if len(findings) == 0 {
				fd.Errors = append(fd.Errors, fmt.Sprintf("%s %s: no seccomp profile in the file", side, f.Path))
			}
		}
		return ps
	}
	olds, news := parse("old", of), parse("new", nf)
	if (of != nil && olds == nil) || (nf != nil && news == nil) {
		// One side does not parse: comparing would report everything as
		// added or removed. Say why instead.
		return
	}
	multi := len(olds) > 1 || len(news) > 1 || (len(news) > 0 && news[0].Format == seccomp.FormatSPO) || (len(olds) > 0 && olds[0].Format == seccomp.FormatSPO)
	used := make([]bool, len(olds))
	for i, np := range news {
		j := matchProfile(olds, used, np, i)
		label := ""
		if multi {
			label = profileLabel(np, i)
		}
		if j < 0 {
			addedSeccomp(fd, label, posture(np, rt), np)
			continue
		}
		used[j] = true
		diffSeccomp(fd, label, posture(olds[j], rt), posture(np, rt))
	}
	for j, op := range olds {
		if used[j] {
			continue
		}
		label := ""
		if multi {
			label = profileLabel(op, j)
		}
		fd.Items = append(fd.Items, Item{Kind: KindProfileRemoved, Profile: label, Risk: Info,
			Message: "profile removed: workloads that still reference it fail to start (CreateContainerError)"})
	}
}

// matchProfile pairs a new profile with an old one: SeccompProfile objects
// by namespace and name, plain profiles by position.
func matchProfile(olds []*seccomp.Profile, used []bool, np *seccomp.Profile, i int) int {
	if np.Format == seccomp.FormatSPO && np.Name.Set {
		for j, op := range olds {
			if !used[j] && op.Format == seccomp.FormatSPO && op.Name.V == np.Name.V && op.Namespace.V == np.Namespace.V {
				return j
			}
		}
		return -1
	}
	if i < len(olds) && !used[i] && olds[i].Format == np.Format {
		return i
	}
	return -1
}

func profileLabel(p *seccomp.Profile, i int) string {
	if p.Format == seccomp.FormatSPO && p.Name.Set {
		if p.Namespace.V != "" {
			return "SeccompProfile " + p.Namespace.V + "/" + p.Name.V
		}
		return "SeccompProfile " + p.Name.V
	}
	return fmt.Sprintf("document %d", i+1)
}

// denyAll is what an absent profile is compared with: nothing runs.
var denyAll = &scPosture{def: scAct{action: seccomp.ActErrno}, uncond: map[string]scAct{}, cond: map[string]map[string]scAct{}}

// addedSeccomp reports a new profile: what it allows that is risky, and
// one line for the rest.
func addedSeccomp(fd *FileDiff, label string, np *scPosture, p *seccomp.Profile) {
	var tmp FileDiff
	diffSeccomp(&tmp, label, denyAll, np)
	allowed := 0
	for _, n := range np.names {
		if a, _ := np.effective(n); classOf(a.action) == classPermit {
			allowed++
		}
	}
	risk, what := Info, fmt.Sprintf("new profile: default action %s, %d syscalls allowed by name", np.def.action, allowed)
	if classOf(np.def.action) == classPermit {
		risk = High
		what = fmt.Sprintf("new profile with default action %s: every syscall it does not list is allowed", np.def.action)
	}
	fd.Items = append(fd.Items, Item{Kind: KindProfileAdded, Profile: label, Subject: p.File.Path, After: np.def.String(), Risk: risk, Message: what, Line: np.def.at.Line, Column: np.def.at.Col})
	for _, it := range tmp.Items {
		if it.Risk >= Medium && it.Kind != KindDefaultAction {
			fd.Items = append(fd.Items, it)
		}
	}
}

// diffSeccomp compares two profiles as the runtime loads them.
func diffSeccomp(fd *FileDiff, label string, b, h *scPosture) {
	add := func(it Item, at lint.Pos) {
		it.Profile = label
		it.Line, it.Column = at.Line, at.Col
		fd.Items = append(fd.Items, it)
	}

	// Default action.
	if b.def.action != h.def.action {
		it := Item{Kind: KindDefaultAction, Subject: "defaultAction", Before: b.def.String(), After: h.def.String()}
		bc, hc := classOf(b.def.action), classOf(h.def.action)
		switch {
		case hc == classPermit && bc != classPermit:
			it.Risk = High
			it.Message = fmt.Sprintf("default action %s → %s: every syscall the profile does not list now runs", b.def.action, h.def.action)
		case hc == classDelegate && bc == classDeny:
			it.Risk = Medium
			it.Message = fmt.Sprintf("default action %s → %s: unlisted syscalls are now decided by another process instead of denied", b.def.action, h.def.action)
		case hc == classPermit && bc == classPermit && h.def.action == seccomp.ActAllow:
			it.Risk = Low
			it.Message = fmt.Sprintf("default action %s → %s: unlisted syscalls still run but are no longer logged", b.def.action, h.def.action)
		case hc < bc:
			it.Message = fmt.Sprintf("default action %s → %s: unlisted syscalls are now denied (tighter; the workload may need more syscalls listed)", b.def.action, h.def.action)
		default:
			it.Message = fmt.Sprintf("default action %s → %s: unlisted syscalls fail differently", b.def.action, h.def.action)
		}
		add(it, h.def.at)
	} else if b.def.errno != h.def.errno {
		add(Item{Kind: KindDefaultErrno, Subject: "defaultErrnoRet", Before: b.def.errno, After: h.def.errno, Risk: Info,
			Message: fmt.Sprintf("denied syscalls now fail with errno %s instead of %s", orDefault(h.def.errno, "EPERM"), orDefault(b.def.errno, "EPERM"))}, h.def.at)
	}

	// Syscalls, by name.
	for _, n := range unionSorted(b.names, h.names) {
		ba, bRule := b.effective(n)
		ha, hRule := h.effective(n)
		bc, hc := classOf(ba.action), classOf(ha.action)
		at := ha.at
		if !hRule {
			at = h.def.at
		}
		via := func(a scAct, rule bool) string {
			if rule {
				return a.String()
			}
			return a.String() + " by default"
		}
		switch {
		case hc > bc:
			it := Item{Kind: KindSyscallAllowed, Subject: n, Before: via(ba, bRule), After: via(ha, hRule)}
			it.Risk = loosenRisk(n, bc, hc, true)
			verb := "is now allowed"
			if hc == classDelegate {
				verb = "is now handed to " + delegateTo(ha.action)
			}
			cause := ""
			switch {
			case !hRule && len(h.cond[n]) > 0:
				cause = fmt.Sprintf(" (its rules only match some arguments; for the others the default action %s applies)", h.def.action)
			case !hRule && bRule:
				cause = fmt.Sprintf(" (no rule names it any more, so the default action %s applies)", h.def.action)
			}
			if conds := permitConds(b, n); len(conds) > 0 {
				it.Message = fmt.Sprintf("%s %s without argument conditions (was allowed only when %s)%s", n, verb, strings.Join(conds, " or "), cause)
			} else {
				it.Message = fmt.Sprintf("%s %s without argument conditions, was %s%s", n, verb, via(ba, bRule), cause)
			}
			add(it, at)
		case hc < bc:
			msg := fmt.Sprintf("%s is no longer allowed (%s); the workload fails if it needs it", n, via(ha, hRule))
			if conds := permitConds(h, n); len(conds) > 0 {
				msg = fmt.Sprintf("%s is now allowed only when %s", n, strings.Join(conds, " or "))
			}
			add(Item{Kind: KindSyscallDenied, Subject: n, Before: via(ba, bRule), After: via(ha, hRule), Risk: Info, Message: msg}, at)
		case ba.action != ha.action || ba.errno != ha.errno:
			it := Item{Kind: KindSyscallAction, Subject: n, Before: via(ba, bRule), After: via(ha, hRule), Risk: Info,
				Message: fmt.Sprintf("%s: %s → %s", n, via(ba, bRule), via(ha, hRule))}
			if ba.action == seccomp.ActLog && ha.action == seccomp.ActAllow {
				it.Risk, it.Message = Low, fmt.Sprintf("%s still runs but is no longer logged", n)
			}
			add(it, at)
		}

		// Argument conditions: what each one decides in each profile,
		// reported when the unconditional change above does not already
		// say it.
		bConds, hConds := b.cond[n], h.cond[n]
		for _, c := range unionSorted(keys(bConds), keys(hConds)) {
			bca, inB := bConds[c]
			hca, inH := hConds[c]
			bd, hd := bc, hc
			if inB {
				bd = classOf(bca.action)
			}
			if inH {
				hd = classOf(hca.action)
			}
			// When the condition decides like the unconditional action
			// and that changed, the item above already says it.
			explained := hd == hc && hc != bc
			if hd == bd || explained {
				continue
			}
			before, after := via(ba, bRule), via(ha, hRule)
			if inB {
				before = bca.String() + " when " + c
			}
			if inH {
				after = hca.String() + " when " + c
			}
			pos := at
			if inH {
				pos = hca.at
			}
			if hd > bd {
				msg := fmt.Sprintf("%s is now allowed when %s", n, c)
				if hd == classDelegate {
					msg = fmt.Sprintf("%s is now handed to %s when %s", n, delegateTo(hca.action), c)
				} else if !inH {
					msg = fmt.Sprintf("%s is no longer denied when %s", n, c)
				}
				add(Item{Kind: KindSyscallConditions, Subject: n, Before: before, After: after,
					Risk: loosenRisk(n, bd, hd, false), Message: msg}, pos)
				continue
			}
			msg := fmt.Sprintf("%s is now denied when %s", n, c)
			if !inH {
				msg = fmt.Sprintf("%s is no longer allowed when %s", n, c)
			}
			add(Item{Kind: KindSyscallDenied, Subject: n, Before: before, After: after, Risk: Info, Message: msg}, pos)
		}
	}

	// Architectures.
	for _, a := range minus(h.archs, b.archs) {
		add(Item{Kind: KindArchitectureAdded, Subject: a, Risk: Low,
			Message: fmt.Sprintf("%s added: processes using that ABI now get this profile's rules instead of the runtime's bad-architecture action", a)}, h.archAt[a])
	}
	for _, a := range minus(b.archs, h.archs) {
		add(Item{Kind: KindArchitectureRemove, Subject: a, Risk: Info,
			Message: fmt.Sprintf("%s removed: syscalls made through that ABI get the runtime's bad-architecture action", a)}, lint.Pos{})
	}

	// Flags.
	for _, f := range minus(h.flags, b.flags) {
		it := Item{Kind: KindFlagAdded, Subject: f, Risk: Info, Message: f + " added"}
		if f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW" {
			it.Risk = Medium
			it.Message = f + " added: the kernel's Speculative Store Bypass mitigation is no longer forced on the workload"
		}
		add(it, h.flagAt[f])
	}
	for _, f := range minus(b.flags, h.flags) {
		add(Item{Kind: KindFlagRemoved, Subject: f, Risk: Info, Message: f + " removed"}, lint.Pos{})
	}
	if b.listener != h.listener {
		it := Item{Kind: KindListener, Subject: "listenerPath", Before: b.listener, After: h.listener, Risk: Info,
			Message: "listenerPath removed: SCMP_ACT_NOTIFY rules have no agent any more"}
		if h.listener != "" {
			it.Risk = Medium
			it.Message = fmt.Sprintf("SCMP_ACT_NOTIFY decisions now go to the agent at %s", h.listener)
		}
		add(it, h.listenerAt)
	}
	if b.base != h.base {
		it := Item{Kind: KindBaseProfile, Subject: "baseProfileName", Before: b.base, After: h.base, Risk: Info,
			Message: "no base profile any more: only this profile's own rules apply"}
		if h.base != "" {
			it.Risk = Medium
			it.Message = fmt.Sprintf("every syscall the base profile %s allows is now allowed too", h.base)
		}
		add(it, h.baseAt)
	}
}

// loosenRisk rates a syscall becoming more permitted. Unconditional allows
// of syscalls Docker's default profile blocks are high; with argument
// conditions, or only handed to a tracer or agent, one level lower.
func loosenRisk(name string, from, to actClass, unconditional bool) Risk {
	r := Low
	if DangerousSyscall(name) {
		r = High
	}
	if !unconditional || to == classDelegate {
		r--
	}
	_ = from
	if r < Low {
		r = Low
	}
	return r
}

func delegateTo(action string) string {
	if action == seccomp.ActNotify {
		return "the seccomp agent (SCMP_ACT_NOTIFY)"
	}
	return "a tracer (SCMP_ACT_TRACE)"
}

// permitConds lists the conditions under which n is permitted while its
// unconditional action does not permit it.
func permitConds(ps *scPosture, n string) []string {
	var out []string
	if a, _ := ps.effective(n); classOf(a.action) == classPermit {
		return nil
	}
	for _, c := range keys(ps.cond[n]) {
		if classOf(ps.cond[n][c].action) == classPermit {
			out = append(out, c)
		}
	}
	return out
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func keys(m map[string]scAct) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func uniqSorted(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	n := 0
	for i, s := range out {
		if i == 0 || s != out[n-1] {
			out[n] = s
			n++
		}
	}
	return out[:n]
}

func unionSorted(a, b []string) []string {
	return uniqSorted(append(append([]string(nil), a...), b...))
}

// minus returns the elements of a (sorted) that are not in b.
func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, s := range b {
		in[s] = true
	}
	var out []string
	for _, s := range a {
		if !in[s] {
			out = append(out, s)
		}
	}
	return out
}
