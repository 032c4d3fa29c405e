package seccomp

import "github.com/secprof/secprof/lint"

func init() {
	register(lint.Rule{ID: "seccomp/denies-exit", Severity: lint.Error,
		Summary: "exit or exit_group fails with an errno: the process cannot terminate and spins while the pod shows Running (kubernetes#85191)"},
		checkDeniesExit)
}

func checkDeniesExit(ps *pass) {
	if !ps.p.DefaultAction.Set || ps.partial() {
		return
	}
	for _, name := range []string{"exit_group", "exit"} {
		o := ps.outcome(name)
		// KILL/TRAP end the process anyway; ERRNO and TRACE (ENOSYS
		// without a tracer) make the call return, and libc's _exit loops
		// retrying it.
		if o.ret.action != ActErrno && o.ret.action != ActTrace {
			continue
		}
		f := ps.at(ps.where(o), "%s makes %s fail with %s: the process cannot exit, libc retries forever and the container spins at full CPU while the pod shows Running (kubernetes#85191)",
			ps.by(o), name, errnoName(o.ret.errno))
		if o.rule != nil {
			f = f.WithFix("remove %s from this rule", name)
		} else {
			f = f.WithFix(`allow it: {"names": ["exit", "exit_group"], "action": "SCMP_ACT_ALLOW"}`)
		}
		ps.add(f)
	}
}
