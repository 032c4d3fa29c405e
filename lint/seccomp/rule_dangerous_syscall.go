package seccomp

import (
	"sort"
	"strings"

	"github.com/secprof/secprof/lint"
)

func init() {
	register(lint.Rule{ID: "seccomp/dangerous-syscall", Severity: lint.Error,
		Summary: "a syscall that container runtimes' default profiles block (kernel modules, kexec, bpf, userfaultfd, keyrings, namespaces, …) is allowed without argument filters"},
		checkDangerousSyscall)
}

// danger says why a syscall is dangerous in a container. Error-level ones
// are blocked by both Docker's and containers-common's default profiles
// unless the container holds the matching capability; warning-level ones
// are blocked by Docker's but allowed by containers-common's, which relies
// on the kernel's capability checks instead.
type danger struct {
	sev lint.Severity
	why string
}

var dangerous = map[string]danger{
	"bpf":               {lint.Error, "it loads eBPF programs into the kernel; unprivileged eBPF has a long record of verifier escapes (e.g. CVE-2021-3490)"},
	"perf_event_open":   {lint.Error, "it exposes the perf subsystem, a frequent source of kernel privilege escalations (e.g. CVE-2013-2094) and side channels"},
	"userfaultfd":       {lint.Error, "it lets a process stall kernel page faults at will, the standard tool for winning kernel race conditions in exploits"},
	"kexec_load":        {lint.Error, "it replaces the running kernel"},
	"kexec_file_load":   {lint.Error, "it replaces the running kernel"},
	"init_module":       {lint.Error, "it loads code into the host kernel"},
	"finit_module":      {lint.Error, "it loads code into the host kernel"},
	"delete_module":     {lint.Error, "it unloads host kernel modules"},
	"create_module":     {lint.Error, "it manages kernel modules (obsolete interface)"},
	"query_module":      {lint.Error, "it manages kernel modules (obsolete interface)"},
	"get_kernel_syms":   {lint.Error, "it manages kernel modules (obsolete interface)"},
	"iopl":              {lint.Error, "it gives raw access to I/O ports, below every isolation the kernel provides"},
	"ioperm":            {lint.Error, "it gives raw access to I/O ports, below every isolation the kernel provides"},
	"open_by_handle_at": {lint.Error, "it opens host files by handle, bypassing the mount namespace: the 2014 \"shocker\" container breakout"},
	"add_key":           {lint.Error, "the kernel keyring it adds to is not namespaced, so containers reach each other's keys (and CVE-2016-0728)"},
	"request_key":       {lint.Error, "the kernel keyring it searches is not namespaced, so containers reach each other's keys"},
	"lookup_dcookie":    {lint.Error, "it is a kernel profiling interface that leaks kernel information"},
	"quotactl":          {lint.Error, "it manages disk quotas of the host's filesystems"},
	"acct":              {lint.Error, "it switches process accounting for the whole host"},
	"swapon":            {lint.Error, "it changes the host's swap"},
	"swapoff":           {lint.Error, "it changes the host's swap"},
	"clock_settime":     {lint.Error, "it sets the system clock, which is not namespaced: the host's time changes"},
	"clock_settime64":   {lint.Error, "it sets the system clock, which is not namespaced: the host's time changes"},
	"settimeofday":      {lint.Error, "it sets the system clock, which is not namespaced: the host's time changes"},
	"stime":             {lint.Error, "it sets the system clock, which is not namespaced: the host's time changes"},
	"kcmp":              {lint.Error, "it compares kernel objects of other processes, leaking the ordering of kernel pointers"},
	"personality":       {lint.Error, "it can switch off address-space randomisation (ADDR_NO_RANDOMIZE); Docker allows only a few argument values"},
	"io_uring_setup":    {lint.Error, "it opens io_uring, a large, young kernel attack surface with many privilege escalations (e.g. CVE-2022-29582); Docker and containers-common block it"},
	"io_uring_enter":    {lint.Error, "it drives io_uring, a large, young kernel attack surface with many privilege escalations; Docker and containers-common block it"},
	"io_uring_register": {lint.Error, "it drives io_uring, a large, young kernel attack surface with many privilege escalations; Docker and containers-common block it"},
	"fanotify_init":     {lint.Error, "it watches filesystem events host-wide"},
	"nfsservctl":        {lint.Error, "it controls the kernel NFS server (removed from Linux)"},
	"vm86":              {lint.Error, "it enters virtual 8086 mode, an old and fragile kernel path"},
	"vm86old":           {lint.Error, "it enters virtual 8086 mode, an old and fragile kernel path"},
	"uselib":            {lint.Error, "it is an obsolete loader interface, an old kernel path"},

	"unshare":           {lint.Warning, "it creates namespaces; with a user namespace an unprivileged process reaches kernel code otherwise guarded by CAP_SYS_ADMIN (CVE-2022-0185)"},
	"setns":             {lint.Warning, "it joins other namespaces"},
	"mount":             {lint.Warning, "it mounts filesystems; inside a user namespace this needs no host privilege (CVE-2022-0185)"},
	"umount":            {lint.Warning, "it unmounts filesystems, e.g. ones that hide host paths"},
	"umount2":           {lint.Warning, "it unmounts filesystems, e.g. ones that hide host paths"},
	"pivot_root":        {lint.Warning, "it changes the root filesystem"},
	"fsopen":            {lint.Warning, "it mounts filesystems through the new mount API, the entry point of CVE-2022-0185"},
	"fsconfig":          {lint.Warning, "it configures a filesystem context through the new mount API, where CVE-2022-0185 overflowed"},
	"fsmount":           {lint.Warning, "it mounts filesystems through the new mount API"},
	"fspick":            {lint.Warning, "it reconfigures mounts through the new mount API"},
	"open_tree":         {lint.Warning, "it clones mounts through the new mount API"},
	"move_mount":        {lint.Warning, "it moves mounts through the new mount API"},
	"mount_setattr":     {lint.Warning, "it changes mount attributes through the new mount API"},
	"keyctl":            {lint.Warning, "the kernel keyring it manages is not namespaced (CVE-2016-0728)"},
	"ptrace":            {lint.Warning, "it inspects and rewrites other processes; before Linux 4.8 a tracer could bypass seccomp, which is why Docker allows it only from kernel 4.8"},
	"process_vm_readv":  {lint.Warning, "it reads other processes' memory; Docker allows it only from kernel 4.8"},
	"process_vm_writev": {lint.Warning, "it writes other processes' memory; Docker allows it only from kernel 4.8"},
	"name_to_handle_at": {lint.Warning, "it is the first half of the open_by_handle_at (\"shocker\") escape"},
	"reboot":            {lint.Warning, "it reboots the host when the container holds CAP_SYS_BOOT in the initial user namespace"},
	"syslog":            {lint.Warning, "it reads the kernel log, which leaks kernel addresses"},
}

// ptraceFamily is what Docker allows from minKernel 4.8, where the ptrace
// seccomp bypass was fixed.
var ptraceFamily = map[string]bool{"ptrace": true, "process_vm_readv": true, "process_vm_writev": true}

func checkDangerousSyscall(ps *pass) {
	p := ps.p
	e := ps.env()
	if p.DefaultAction.Set && p.DefaultAction.V == ActAllow {
		checkDenyListGaps(ps)
	}
	for _, s := range p.Syscalls {
		if !Permits(s.Action.V) || len(s.Args) > 0 {
			continue
		}
		if !s.Includes.IsEmpty() || !s.Excludes.IsEmpty() {
			if !e.keeps("includes") {
				// The runtime drops the condition: runtime-ignores-field
				// reports it, naming the dangerous syscalls it opens.
				continue
			}
			if s.Includes != nil && len(s.Includes.Caps.Items) > 0 {
				continue // only containers granted the capability get it
			}
		}
		for _, n := range ps.names(s) {
			d, ok := dangerous[n.V]
			if !ok {
				continue
			}
			if ptraceFamily[n.V] && s.Includes != nil && s.Includes.MinKernel.Set && e.keeps("minKernel") && !kernelLess(s.Includes.MinKernel.V, "4.8") {
				continue
			}
			ps.add(ps.at(n.At, "%s is allowed without argument filters: %s", n.V, d.why).WithSeverity(d.sev).
				WithFix("remove %q from this rule (or guard it with includes.caps where the runtime honours it)", n.V))
		}
	}
}

// checkDenyListGaps reports, once, the dangerous syscalls a deny list
// (defaultAction SCMP_ACT_ALLOW) leaves allowed.
func checkDenyListGaps(ps *pass) {
	var errs, warns []string
	for name, d := range dangerous {
		if !SyscallKnown(name, nativeArch()) {
			continue
		}
		o := ps.outcome(name)
		if Denies(o.ret.action) || o.ret.action == ActNotify || o.ret.action == ActTrace {
			continue
		}
		if d.sev == lint.Error {
			errs = append(errs, name)
		} else {
			warns = append(warns, name)
		}
	}
	if len(errs)+len(warns) == 0 {
		return
	}
	sort.Strings(errs)
	sort.Strings(warns)
	sev := lint.Warning
	if len(errs) > 0 {
		sev = lint.Error
	}
	ps.add(ps.at(ps.p.DefaultAction.At, "this deny list leaves dangerous syscalls allowed: %s",
		strings.Join(append(errs, warns...), ", ")).WithSeverity(sev).
		WithFix("deny them explicitly, or better, switch to defaultAction SCMP_ACT_ERRNO with an allow list"))
}
