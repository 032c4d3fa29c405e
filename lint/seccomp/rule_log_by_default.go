package seccomp

import "github.com/secprof/secprof/lint"

func init() {
	register(lint.Rule{ID: "seccomp/log-by-default", Severity: lint.Warning,
		Summary: "defaultAction SCMP_ACT_LOG only logs: the profile is in audit mode and enforces nothing"},
		checkLogByDefault)
}

func checkLogByDefault(ps *pass) {
	p := ps.p
	if p.DefaultAction.Set && p.DefaultAction.V == ActLog {
		ps.add(ps.at(p.DefaultAction.At, "defaultAction %s allows and logs every syscall no rule names: audit mode, nothing is enforced", ActLog).
			WithFix("once the audit log shows what the workload calls, allow those syscalls and set defaultAction to SCMP_ACT_ERRNO"))
	}
}
