package apparmor

import (
	"sort"
	"strings"

	"github.com/secprof/secprof/lint"
)

// apparmor/all-capabilities: bare `capability,` grants every capability
// (sys_admin, sys_module, ...), and `all,` (AppArmor 4) every access of
// every kind. A bare `deny capability,` cancels it.
func init() {
	register(lint.Rule{ID: "apparmor/all-capabilities", Severity: lint.Error,
		Summary: "Bare capability, (or all,) grants every capability"}, checkAllCapabilities)
}

func checkAllCapabilities(ps *pass) {
	ps.ownEntries(func(prof *Profile, e *Entry) {
		if e.Prefix.Deny() {
			return
		}
		allDenied, denied := prof.capsDenied()
		switch r := e.Rule.(type) {
		case *CapabilityRule:
			if len(r.Caps) > 0 || allDenied {
				return
			}
			msg := "bare capability grants every capability, including sys_admin and sys_module"
			if len(denied) > 0 {
				names := make([]string, 0, len(denied))
				for n := range denied {
					names = append(names, n)
				}
				sort.Strings(names)
				msg += " (all but " + strings.Join(names, ", ") + ", which are denied)"
			}
			ps.report(r.Span, "list the capabilities the program needs: capability chown setuid,", "%s", msg)
		case *AllRule:
			ps.report(r.Span, "write the rules the program needs instead of all,",
				"all grants every access of every kind: all capabilities, files, network, mount, ptrace")
		}
	})
}
