package seccomp

import "github.com/secprof/secprof/lint"

func init() {
	register(lint.Rule{ID: "seccomp/conflicting-rules", Severity: lint.Error,
		Summary: "a syscall listed twice with the same conditions but different actions: libseccomp keeps one silently (or refuses the profile)"},
		checkConflictingRules)
}

func checkConflictingRules(ps *pass) {
	type first struct {
		at   lint.Span
		ret  ret
		args bool
	}
	seen := map[string]first{}
	uncond := map[string]first{} // first unconditional rule per name and includes/excludes
	def := ps.defaultRet()
	for _, s := range ps.p.Syscalls {
		if !s.Action.Set {
			continue
		}
		sig := signature(s)
		fsig := filterSig("in", s.Includes) + "|" + filterSig("ex", s.Excludes)
		r := ps.ruleRet(s)
		for _, n := range ps.names(s) {
			key := n.V + "\x00" + sig
			if f, ok := seen[key]; ok && f.ret != r {
				if f.args {
					ps.add(ps.at(n.At, "%s is listed at %s with the same conditions but action %s, here %s: libseccomp refuses the second rule (EEXIST) and the runtime fails to create the container", n.V, line(f.at), f.ret, r))
				} else {
					ps.add(ps.at(n.At, "%s is listed at %s with action %s, here %s: libseccomp silently keeps the first, so this rule has no effect", n.V, line(f.at), f.ret, r))
				}
			} else if !ok {
				seen[key] = first{n.At, r, len(s.Args) > 0}
			}
			// An unconditional rule overrides conditional ones for the same
			// syscall in libseccomp, whatever the order.
			ukey := n.V + "\x00" + fsig
			if len(s.Args) == 0 {
				if _, ok := uncond[ukey]; !ok && r != def {
					uncond[ukey] = first{n.At, r, false}
				}
			}
		}
	}
	for _, s := range ps.p.Syscalls {
		if len(s.Args) == 0 || !s.Action.Set {
			continue
		}
		fsig := filterSig("in", s.Includes) + "|" + filterSig("ex", s.Excludes)
		r := ps.ruleRet(s)
		for _, n := range ps.names(s) {
			if u, ok := uncond[n.V+"\x00"+fsig]; ok && u.ret != r && r != def {
				ps.add(ps.at(n.At, "%s also has an unconditional rule at %s (%s): libseccomp lets it override this conditional rule, which never applies", n.V, line(u.at), u.ret).
					WithSeverity(lint.Warning))
			}
		}
	}
}
