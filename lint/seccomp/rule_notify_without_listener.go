package seccomp

import "github.com/secprof/secprof/lint"

func init() {
	register(lint.Rule{ID: "seccomp/notify-without-listener", Severity: lint.Error,
		Summary: "SCMP_ACT_NOTIFY without listenerPath (or where runc refuses it): nobody answers the notification and the runtime refuses the profile"},
		checkNotifyWithoutListener)
}

func checkNotifyWithoutListener(ps *pass) {
	p := ps.p
	used := false
	if p.DefaultAction.V == ActNotify {
		used = true
		ps.add(ps.at(p.DefaultAction.At, "defaultAction %s: runc refuses it (the runtime's own writes would wait for the agent)", ActNotify).
			WithFix("notify only on the syscalls the agent handles"))
	}
	hasListener := p.ListenerPath.Set && p.ListenerPath.V != ""
	for _, s := range p.Syscalls {
		if s.Action.V != ActNotify {
			continue
		}
		used = true
		if !hasListener {
			ps.add(ps.at(s.Action.At, "%s without listenerPath: the runtime has no seccomp agent to hand the notification to and refuses the profile", ActNotify).
				WithFix(`set "listenerPath" to the Unix socket of the seccomp agent`))
		}
		for _, n := range ps.names(s) {
			if n.V == "write" {
				ps.add(ps.at(n.At, "%s on write: runc refuses it, since it writes the notification fd to its parent after installing the filter", ActNotify))
			}
		}
	}
	if hasListener && !used {
		ps.add(ps.at(p.ListenerPath.Key, "listenerPath is set but no rule uses %s: the agent is never contacted", ActNotify).WithSeverity(lint.Info))
	}
}
