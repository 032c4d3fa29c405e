package apparmor

import "github.com/secprof/secprof/lint"

// apparmor/unrestricted-ptrace: ptrace rules that let the program trace
// (read and write the memory of) processes of any profile: no peer=, a
// peer pattern matching everything, or peer=unconfined, which covers the
// host's unconfined processes.
func init() {
	register(lint.Rule{ID: "apparmor/unrestricted-ptrace", Severity: lint.Warning,
		Summary: "ptrace is allowed on any process, or on unconfined ones"}, checkUnrestrictedPtrace)
}

func checkUnrestrictedPtrace(ps *pass) {
	ps.ownEntries(func(prof *Profile, e *Entry) {
		r, ok := e.Rule.(*ClassRule)
		if !ok || r.Class != "ptrace" || e.Prefix.Deny() {
			return
		}
		if !r.HasPerm("trace", "write", "w", "rw", "wr") {
			return
		}
		peer := "any process"
		if c := r.Cond("peer"); c != nil {
			unrestricted := false
			for _, v := range c.Values {
				if v.Text == "unconfined" {
					unrestricted, peer = true, "unconfined processes (the host's)"
				} else if prof.match(v.Text, "unconfined") && prof.match(v.Text, "secprof-any-profile") {
					unrestricted = true
				}
			}
			if !unrestricted {
				return
			}
		}
		if prof.classDenied("ptrace", func(d *ClassRule) bool {
			return d.Cond("peer") == nil && d.HasPerm("trace", "write", "w", "rw", "wr")
		}) {
			return
		}
		ps.report(r.Span, "restrict it to the program's own profile: ptrace (read) peer=@{profile_name},",
			"ptrace rule allows tracing %s", peer)
	})
}
