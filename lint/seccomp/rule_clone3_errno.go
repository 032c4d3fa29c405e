package seccomp

import "github.com/secprof/secprof/lint"

func init() {
	register(lint.Rule{ID: "seccomp/clone3-errno", Severity: lint.Warning,
		Summary: "clone3 is denied with an errno other than ENOSYS (38): glibc falls back to clone only on ENOSYS, so creating threads fails"},
		checkClone3Errno)
}

// glibc 2.34+ creates threads with clone3 and retries with clone only
// when clone3 fails with ENOSYS; any other errno reaches pthread_create.
func checkClone3Errno(ps *pass) {
	if !ps.p.DefaultAction.Set {
		return
	}
	o := ps.outcome("clone3")
	if o.ret.action != ActErrno || o.ret.errno == 38 {
		return
	}
	if o.rule == nil && ps.partial() {
		return // the base profile may deal with clone3
	}
	if o.rule != nil {
		f := ps.at(o.name.At, "clone3 is denied with %s: glibc falls back to clone only on ENOSYS, so pthread_create fails", errnoName(o.ret.errno)).
			WithSeverity(lint.Error)
		if o.rule.ErrnoRet.Set {
			f = ps.at(o.rule.ErrnoRet.At, "clone3 is denied with %s: glibc falls back to clone only on ENOSYS, so pthread_create fails", errnoName(o.ret.errno)).WithSeverity(lint.Error)
		}
		ps.add(f.WithFix(`use "errnoRet": 38`))
		return
	}
	ps.add(ps.at(ps.where(o), "clone3 is not listed, so defaultAction denies it with %s: glibc 2.34+ falls back to clone only on ENOSYS, so threaded programs fail to create threads", errnoName(o.ret.errno)).
		WithFix(`add {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}, or set "defaultErrnoRet": 38`))
}
