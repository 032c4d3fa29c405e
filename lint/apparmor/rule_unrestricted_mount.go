package apparmor

import "github.com/secprof/secprof/lint"

// apparmor/unrestricted-mount: mount rules with no conditions. Bare
// `mount,` mounts anything anywhere (procfs over /proc, the host disk),
// `remount,` makes read-only mounts writable, `umount,` uncovers what
// masked mounts hide, `pivot_root,` swaps the root filesystem. A matching
// bare deny rule (deny mount,) cancels the finding.
func init() {
	register(lint.Rule{ID: "apparmor/unrestricted-mount", Severity: lint.Error,
		Summary: "A bare mount, remount, umount or pivot_root rule allows any mount operation"}, checkUnrestrictedMount)
}

var mountWhy = map[string]string{
	"mount":      "allows mounting any filesystem anywhere",
	"remount":    "allows remounting any mount, e.g. making a read-only mount writable",
	"umount":     "allows unmounting anything, uncovering what masked mounts hide",
	"pivot_root": "allows replacing the root filesystem",
}

func checkUnrestrictedMount(ps *pass) {
	ps.ownEntries(func(prof *Profile, e *Entry) {
		r, ok := e.Rule.(*ClassRule)
		if !ok || e.Prefix.Deny() || !r.Bare() {
			return
		}
		why, ok := mountWhy[r.Class]
		if !ok {
			return
		}
		if prof.classDenied(r.Class, func(d *ClassRule) bool { return d.Bare() }) {
			return
		}
		ps.report(r.Span, "restrict it: e.g. mount fstype=tmpfs -> /tmp/, or deny it",
			"bare %s, %s", r.Class, why)
	})
}
