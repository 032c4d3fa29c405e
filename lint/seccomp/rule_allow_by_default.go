package seccomp

import "github.com/secprof/secprof/lint"

func init() {
	register(lint.Rule{ID: "seccomp/allow-by-default", Severity: lint.Warning,
		Summary: "defaultAction SCMP_ACT_ALLOW makes the profile a deny list: every syscall not listed, including ones added by future kernels, is allowed"},
		checkAllowByDefault)
}

func checkAllowByDefault(ps *pass) {
	p := ps.p
	if p.DefaultAction.Set && p.DefaultAction.V == ActAllow {
		ps.add(ps.at(p.DefaultAction.At, "defaultAction %s allows every syscall the profile does not name; new kernels add syscalls this deny list cannot know", ActAllow).
			WithFix("start from a deny-by-default profile (defaultAction SCMP_ACT_ERRNO) that allows what the workload needs"))
	}
}
