package seccomp

import "github.com/secprof/secprof/lint"

func init() {
	register(lint.Rule{ID: "seccomp/errno-ret-ignored", Severity: lint.Warning,
		Summary: "errnoRet/defaultErrnoRet on an action other than SCMP_ACT_ERRNO or SCMP_ACT_TRACE is ignored"},
		checkErrnoRetIgnored)
}

func errnoAction(a string) bool { return a == ActErrno || a == ActTrace }

func checkErrnoRetIgnored(ps *pass) {
	p := ps.p
	if p.DefaultErrnoRet.Set && p.DefaultAction.Set && !errnoAction(p.DefaultAction.V) {
		ps.add(ps.at(p.DefaultErrnoRet.Key, "defaultErrnoRet %d has no effect: defaultAction is %s, which returns no errno", p.DefaultErrnoRet.V, p.DefaultAction.V).
			WithFix("remove defaultErrnoRet, or set defaultAction to SCMP_ACT_ERRNO"))
	}
	for _, s := range p.Syscalls {
		if s.ErrnoRet.Set && s.Action.Set && !errnoAction(s.Action.V) {
			ps.add(ps.at(s.ErrnoRet.Key, "errnoRet %d has no effect: the rule's action is %s, which returns no errno", s.ErrnoRet.V, s.Action.V).
				WithFix("remove errnoRet, or use SCMP_ACT_ERRNO"))
		}
	}
}
