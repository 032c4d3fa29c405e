package apparmor

import (
	"strings"

	"github.com/secprof/secprof/lint"
)

// apparmor/broad-write: write or append access to a whole tree: the
// filesystem (/**, and bare file, which grants all file access), every
// home directory, /proc/sys or /sys. A rule is broad when it matches every
// probe path of the tree; deny rules are applied to the probes, so
// `file,` with `deny /** w,` is not reported.
func init() {
	register(lint.Rule{ID: "apparmor/broad-write", Severity: lint.Error,
		Summary: "Write access to the whole filesystem, home directories, /proc/sys or /sys"}, checkBroadWrite)
}

type writeArea struct {
	name   string
	probes []string
}

var writeAreas = []writeArea{
	{"the whole filesystem (/**)", []string{"/etc/secprof-probe", "/usr/secprof-probe", "/var/secprof-probe", "/bin/secprof-probe", "/lib/secprof-probe", "/opt/secprof-probe", "/root/secprof-probe", "/srv/secprof-probe", "/boot/secprof-probe", "/home/secprof/secprof-probe"}},
	{"every home directory (@{HOME}/**)", []string{"/home/secprof/.bashrc", "/home/secprof/.ssh/authorized_keys", "/home/secprof/.config/autostart/secprof.desktop", "/root/.bashrc"}},
	{"/proc/sys/** (kernel parameters)", []string{"/proc/sys/kernel/core_pattern", "/proc/sys/vm/overcommit_memory", "/proc/sys/net/ipv4/ip_forward"}},
	{"/sys/** (kernel and device settings)", []string{"/sys/kernel/uevent_helper", "/sys/fs/cgroup/memory.max", "/sys/class/net/eth0/mtu", "/sys/devices/system/cpu/cpu1/online", "/sys/module/secprof/parameters/secprof"}},
	{"the root directory /", []string{"/"}},
}

// broadWrite returns the area an allow entry writes to as a whole and the
// probe paths that stay writable after deny rules, or ok=false.
func broadWrite(prof *Profile, e *Entry) (area string, writable []string, ok bool) {
	if e.Prefix.Deny() {
		return "", nil, false
	}
	pat, perms, isFile := e.filePattern()
	if !isFile || !perms.Writes() {
		return "", nil, false
	}
	for _, a := range writeAreas {
		all := true
		for _, p := range a.probes {
			if !prof.match(pat, p) {
				all = false
				break
			}
		}
		if !all {
			continue
		}
		var w []string
		for _, p := range a.probes {
			if prof.writableAfterDeny(perms, p, e.Prefix.Owner) {
				w = append(w, p)
			}
		}
		if len(w) > 0 {
			return a.name, w, true
		}
		return "", nil, false
	}
	return "", nil, false
}

func checkBroadWrite(ps *pass) {
	ps.ownEntries(func(prof *Profile, e *Entry) {
		area, w, ok := broadWrite(prof, e)
		if !ok {
			return
		}
		var sp Span
		what := ""
		switch r := e.Rule.(type) {
		case *FileRule:
			sp = r.Span
			if r.Bare {
				what = "file grants all file access, including write to " + area
			} else {
				what = r.Path.Text + " " + r.PermsWord.Text + " grants write access to " + area
			}
		case *AllRule:
			return // reported by apparmor/all-capabilities
		default:
			sp = SpanOf(r)
			what = "the rule grants write access to " + area
		}
		if len(w) > 3 {
			w = w[:3]
		}
		ps.report(sp, "allow writes only where the program needs them (e.g. /tmp/** w,), or add deny /** w,",
			"%s; writable e.g. %s", what, strings.Join(w, ", "))
	})
}
