package apparmor

// Names the policy language knows. A name missing here is reported as a
// warning, not an error: it may come from a newer kernel or AppArmor, and
// apparmor_parser decides.

func set(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// capabilities are the Linux capability names (capabilities(7)) without the
// CAP_ prefix, lower case, as AppArmor spells them.
var capabilities = set(
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill",
	"setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service",
	"net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
	"sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
	"sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time",
	"sys_tty_config", "mknod", "lease", "audit_write", "audit_control",
	"setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
	"block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
)

var networkDomains = set(
	"unspec", "unix", "local", "inet", "ax25", "ipx", "appletalk", "netrom",
	"bridge", "atmpvc", "x25", "inet6", "rose", "netbeui", "security", "key",
	"netlink", "route", "packet", "ash", "econet", "atmsvc", "rds", "sna",
	"irda", "pppox", "wanpipe", "llc", "ib", "mpls", "can", "tipc",
	"bluetooth", "iucv", "rxrpc", "isdn", "phonet", "ieee802154", "caif",
	"alg", "nfc", "vsock", "kcm", "qipcrtr", "smc", "xdp", "mctp",
)

var networkTypes = set("stream", "dgram", "seqpacket", "rdm", "raw", "packet")

var networkProtocols = set("tcp", "udp", "icmp", "icmpv6")

// profileFlags are the flags=(...) values of AppArmor 3.x and 4.x; values
// with an argument (attach_disconnected.path=, kill.signal=, error=) are
// matched by prefix.
var profileFlags = set(
	"enforce", "complain", "kill", "unconfined", "prompt", "default_allow",
	"debug", "audit", "chroot_relative", "namespace_relative",
	"mediate_deleted", "delegate_deleted", "attach_disconnected",
	"no_attach_disconnected", "chroot_attach", "chroot_no_attach",
	"interruptible", "attach_disconnected.ipc",
)

var profileFlagPrefixes = []string{"attach_disconnected.path=", "kill.signal=", "error="}

var rlimits = set(
	"cpu", "fsize", "data", "stack", "core", "rss", "nofile", "ofile", "as",
	"nproc", "memlock", "locks", "sigpending", "msgqueue", "nice", "rtprio",
	"rttime",
)

// classPerms are the access words each rule class accepts.
var classPerms = map[string]map[string]bool{
	"network":  set("create", "bind", "listen", "accept", "connect", "shutdown", "getattr", "setattr", "getopt", "setopt", "send", "receive", "read", "write", "r", "w", "rw", "wr"),
	"unix":     set("create", "bind", "listen", "accept", "connect", "shutdown", "getattr", "setattr", "getopt", "setopt", "send", "receive", "read", "write", "r", "w", "rw", "wr"),
	"dbus":     set("bind", "send", "receive", "read", "write", "eavesdrop", "r", "w", "rw", "wr"),
	"signal":   set("send", "receive", "read", "write", "r", "w", "rw", "wr"),
	"ptrace":   set("trace", "tracedby", "read", "readby", "write", "r", "w", "rw", "wr"),
	"userns":   set("create"),
	"mqueue":   set("create", "open", "delete", "getattr", "setattr", "read", "write", "r", "w", "rw", "wr"),
	"io_uring": set("override_creds", "sqpoll"),
}

// classKeywords are the rule kinds parsed as ClassRule; umount is also
// spelled unmount.
var classKeywords = set(
	"network", "unix", "dbus", "signal", "ptrace", "mount", "remount",
	"umount", "unmount", "pivot_root", "userns", "mqueue", "io_uring",
)

// keywords that start a statement and may not be used as a bare word.
var stmtKeywords = set(
	"include", "abi", "alias", "rewrite", "if", "else", "profile", "hat",
	"set", "file", "link", "capability", "change_profile", "all", "audit",
	"allow", "deny", "prompt", "owner", "user", "other", "safe", "unsafe",
	"priority",
)

// builtinVars are the variables apparmor_parser defines itself.
var builtinVars = set("profile_name", "exec_path", "attach_path")

// maxArgs bounds the positional words of each class: network takes a
// domain and a type or protocol, mount a source, umount/remount a target,
// pivot_root a new root, mqueue a name.
var maxArgs = map[string]int{
	"network": 2, "mount": 1, "remount": 1, "umount": 1, "unmount": 1,
	"pivot_root": 1, "mqueue": 1,
}
