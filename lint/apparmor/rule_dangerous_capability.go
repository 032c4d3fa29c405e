package apparmor

import "github.com/secprof/secprof/lint"

// apparmor/dangerous-capability: capabilities that amount to root on the
// host, or to escaping the container, when granted.
func init() {
	register(lint.Rule{ID: "apparmor/dangerous-capability", Severity: lint.Warning,
		Summary: "A capability that enables container escape or host control is allowed"}, checkDangerousCapability)
}

var dangerousCaps = map[string]struct {
	sev lint.Severity
	why string
}{
	"sys_admin":       {lint.Error, "mount, namespaces and much of root: the usual container escape"},
	"sys_module":      {lint.Error, "loads kernel modules"},
	"sys_rawio":       {lint.Error, "raw access to I/O ports, memory and devices"},
	"mac_admin":       {lint.Error, "changes MAC policy, AppArmor included"},
	"mac_override":    {lint.Error, "overrides MAC policy, AppArmor included"},
	"dac_read_search": {lint.Warning, "bypasses read permission checks; open_by_handle_at escapes the container (shocker)"},
	"sys_ptrace":      {lint.Warning, "traces and injects into other processes"},
	"bpf":             {lint.Warning, "loads BPF programs into the kernel"},
	"perfmon":         {lint.Warning, "performance monitoring that exposes kernel memory layout"},
	"net_admin":       {lint.Warning, "reconfigures interfaces, routes and firewall rules"},
	"sys_boot":        {lint.Warning, "reboots the host and loads new kernels"},
	"syslog":          {lint.Warning, "reads the kernel log and kernel addresses"},
	"sys_time":        {lint.Warning, "sets the host clock"},
	"audit_control":   {lint.Warning, "changes the kernel audit rules"},
}

func checkDangerousCapability(ps *pass) {
	ps.ownEntries(func(prof *Profile, e *Entry) {
		r, ok := e.Rule.(*CapabilityRule)
		if !ok || e.Prefix.Deny() {
			return
		}
		allDenied, denied := prof.capsDenied()
		if allDenied {
			return
		}
		for _, c := range r.Caps {
			d, ok := dangerousCaps[c.Text]
			if !ok || denied[c.Text] {
				continue
			}
			x := ps.report(c.Span, "drop it unless the program cannot work without it, and then document why",
				"capability %s: %s", c.Text, d.why)
			x.sev = d.sev
		}
	})
}
