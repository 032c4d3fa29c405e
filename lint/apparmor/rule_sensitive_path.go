package apparmor

import (
	"strings"

	"github.com/secprof/secprof/lint"
)

// apparmor/sensitive-path: access to files that give away the host or its
// secrets: writing /etc/shadow, /proc/sysrq-trigger, /proc/kcore,
// /sys/kernel/security/**, /dev/mem, the container runtime's socket...;
// reading /etc/shadow, host keys, kernel memory. Each allow rule is tested
// against probe paths, with deny rules applied. Writes that
// apparmor/broad-write already reports are not repeated here.
func init() {
	register(lint.Rule{ID: "apparmor/sensitive-path", Severity: lint.Error,
		Summary: "Write (or read) access to credentials, kernel interfaces or runtime sockets"}, checkSensitivePath)
}

type sensitive struct {
	path, why string
	write     bool
}

var sensitivePaths = []sensitive{
	{"/etc/shadow", "password hashes", true},
	{"/etc/gshadow", "group password hashes", true},
	{"/etc/passwd", "user accounts", true},
	{"/etc/sudoers", "sudo rules", true},
	{"/etc/sudoers.d/secprof", "sudo rules", true},
	{"/etc/ld.so.preload", "a library preloaded into every program", true},
	{"/etc/crontab", "jobs cron runs as root", true},
	{"/etc/cron.d/secprof", "jobs cron runs as root", true},
	{"/root/.ssh/authorized_keys", "root's SSH logins", true},
	{"/proc/sysrq-trigger", "crashes or reboots the host", true},
	{"/proc/kcore", "kernel memory", true},
	{"/proc/sys/kernel/core_pattern", "a program the kernel runs as root on every crash", true},
	{"/proc/sys/kernel/modprobe", "the program the kernel runs to load modules", true},
	{"/sys/kernel/security/apparmor/.replace", "AppArmor policy", true},
	{"/sys/kernel/security/lsm", "the security modules' interface", true},
	{"/sys/fs/cgroup/memory/release_agent", "a program run on the host (cgroup v1 escape)", true},
	{"/sys/kernel/uevent_helper", "a program the kernel runs on device events", true},
	{"/sys/firmware/efi/efivars/secprof", "firmware variables", true},
	{"/dev/mem", "physical memory", true},
	{"/dev/kmem", "kernel memory", true},
	{"/dev/port", "I/O ports", true},
	{"/dev/sda", "the host's disk", true},
	{"/dev/nvme0n1", "the host's disk", true},
	{"/run/docker.sock", "the Docker API (root on the host)", true},
	{"/var/run/docker.sock", "the Docker API (root on the host)", true},
	{"/run/containerd/containerd.sock", "the containerd API (root on the host)", true},
	{"/var/run/crio/crio.sock", "the CRI-O API (root on the host)", true},
	{"/boot/vmlinuz", "the kernel image", true},
	{"/etc/shadow", "password hashes", false},
	{"/etc/gshadow", "group password hashes", false},
	{"/proc/kcore", "kernel memory", false},
	{"/dev/mem", "physical memory", false},
	{"/dev/kmem", "kernel memory", false},
}

func checkSensitivePath(ps *pass) {
	ps.ownEntries(func(prof *Profile, e *Entry) {
		if e.Prefix.Deny() {
			return
		}
		if _, ok := e.Rule.(*AllRule); ok {
			return // reported by apparmor/all-capabilities
		}
		pat, perms, ok := e.filePattern()
		if !ok {
			return
		}
		_, _, broad := broadWrite(prof, e)
		var hits []string
		writes := false
		seen := map[string]bool{}
		for _, s := range sensitivePaths {
			if s.write && broad {
				continue
			}
			if !prof.match(pat, s.path) {
				continue
			}
			if s.write && !prof.writableAfterDeny(perms, s.path, e.Prefix.Owner) {
				continue
			}
			if !s.write && !prof.readableAfterDeny(perms, s.path, e.Prefix.Owner) {
				continue
			}
			verb := "read"
			if s.write {
				verb = "write"
				writes = true
			}
			key := verb + " " + s.path
			if seen[key] {
				continue
			}
			seen[key] = true
			hits = append(hits, verb+" "+s.path+" ("+s.why+")")
		}
		if len(hits) == 0 {
			return
		}
		more := ""
		if len(hits) > 3 {
			more = sprintf(" and %d more", len(hits)-3)
			hits = hits[:3]
		}
		sp := SpanOf(e.Rule)
		x := ps.report(sp, "narrow the rule, or add deny rules for these paths (e.g. deny /etc/shadow rw,)",
			"the rule allows %s%s", strings.Join(hits, ", "), more)
		if !writes {
			x.sev = lint.Warning
		}
	})
}
