package seccomp

import "github.com/secprof/secprof/lint"

func init() {
	register(lint.Rule{ID: "seccomp/blocks-container-start", Severity: lint.Error,
		Summary: "the profile denies execve, which the OCI runtime calls after installing the filter: no container can start (CrashLoopBackOff)"},
		checkBlocksContainerStart)
}

// runc and crun install the filter as late as they can, immediately before
// they execve the container's process; with NoNewPrivileges the filter
// comes earlier and runc still needs a few calls before execve (closing its
// sync pipe, opening and writing the exec FIFO).
func checkBlocksContainerStart(ps *pass) {
	p := ps.p
	if !p.DefaultAction.Set || ps.partial() {
		return
	}
	o := ps.outcome("execve")
	switch {
	case o.rule == nil && len(o.conditional) > 0 && !Permits(o.ret.action):
		s := o.conditional[0]
		ps.add(ps.at(s.At, "execve is allowed only under argument conditions; its arguments are pointers, so the runtime's own execve of the container process is likely denied").
			WithSeverity(lint.Warning))
	case Denies(o.ret.action) || o.ret.action == ActTrace:
		how := "denies"
		if o.ret.action == ActTrace {
			how = "traces (without a tracer the call fails with ENOSYS)"
		}
		f := ps.at(ps.where(o), "%s %s execve, which runc/crun call right after installing the filter to start the container's process: no container can start, the pod ends in CrashLoopBackOff", ps.by(o), how)
		if o.rule != nil {
			f = f.WithFix("remove execve from this rule")
		} else {
			f = f.WithFix(`allow what the workload needs, starting with {"names": ["execve"], "action": "SCMP_ACT_ALLOW"}`)
		}
		ps.add(f)
	}
}
