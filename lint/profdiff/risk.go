package profdiff

// dangerous are syscalls Docker's default profile blocks for a container
// without extra capabilities, plus io_uring (which bypasses seccomp for the
// operations it submits) and the clone family (namespace creation): newly
// allowing one of them without argument conditions is a high risk.
var dangerous = map[string]bool{
	"acct": true, "add_key": true, "bpf": true, "clock_adjtime": true, "clock_settime": true,
	"clone": true, "clone3": true, "create_module": true, "delete_module": true, "finit_module": true,
	"fsconfig": true, "fsmount": true, "fsopen": true, "fspick": true, "get_kernel_syms": true,
	"get_mempolicy": true, "init_module": true, "io_uring_enter": true, "io_uring_register": true,
	"io_uring_setup": true, "ioperm": true, "iopl": true, "kcmp": true, "kexec_file_load": true,
	"kexec_load": true, "keyctl": true, "lookup_dcookie": true, "mbind": true, "mount": true,
	"mount_setattr": true, "move_mount": true, "move_pages": true, "name_to_handle_at": true,
	"nfsservctl": true, "open_by_handle_at": true, "open_tree": true, "perf_event_open": true,
	"personality": true, "pivot_root": true, "process_vm_readv": true, "process_vm_writev": true,
	"ptrace": true, "query_module": true, "quotactl": true, "quotactl_fd": true, "reboot": true,
	"request_key": true, "set_mempolicy": true, "setns": true, "settimeofday": true, "stime": true,
	"swapoff": true, "swapon": true, "sysfs": true, "syslog": true, "_sysctl": true, "umount": true,
	"umount2": true, "unshare": true, "uselib": true, "userfaultfd": true, "ustat": true, "vm86": true,
	"vm86old": true,
}

// DangerousSyscall reports whether allowing name without argument
// conditions weakens container isolation.
func DangerousSyscall(name string) bool { return dangerous[name] }
