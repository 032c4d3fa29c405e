package seccomp

import "github.com/secprof/secprof/lint"

func init() {
	register(lint.Rule{ID: "seccomp/duplicate-syscall", Severity: lint.Warning,
		Summary: "a syscall listed twice with the same conditions and the same action: the second listing does nothing"},
		checkDuplicateSyscall)
}

func checkDuplicateSyscall(ps *pass) {
	type first struct {
		at  lint.Span
		ret ret
	}
	seen := map[string]first{}
	for _, s := range ps.p.Syscalls {
		if !s.Action.Set {
			continue
		}
		sig := signature(s)
		r := ps.ruleRet(s)
		for _, n := range ps.names(s) {
			key := n.V + "\x00" + sig
			f, ok := seen[key]
			if !ok {
				seen[key] = first{n.At, r}
				continue
			}
			if f.ret == r {
				ps.add(ps.at(n.At, "%s is already listed at %s with the same conditions and action", n.V, line(f.at)).
					WithFix("remove this listing"))
			}
		}
	}
}
