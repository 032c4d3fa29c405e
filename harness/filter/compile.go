package filter

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// Kernel seccomp() filter flags.
const (
	FlagTSync       = 1 << 0
	FlagLog         = 1 << 1
	FlagSpecAllow   = 1 << 2
	FlagNewListener = 1 << 3
)

// Program is a compiled filter ready for seccomp(SECCOMP_SET_MODE_FILTER).
type Program struct {
	// BPF is the sock_filter array in native byte order.
	BPF []byte
	// Flags are the seccomp() flags the profile asks for (LOG, SPEC_ALLOW).
	Flags uint
	// Warnings are rules that were ignored, as runc ignores them.
	Warnings []string
}

// Options are the container facts includes/excludes depend on.
type Options struct {
	// Caps is the container's capability set (CAP_ names), which Docker's
	// includes.caps/excludes.caps are matched against.
	Caps []string
	// Kernel is the kernel release ("6.1.0"); empty means this machine's.
	Kernel string
}

// DefaultCaps is the capability set containerd and Docker give a
// container by default.
var DefaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// ParseAction maps a profile action name to a libseccomp action; errno is
// the errnoRet (or defaultErrnoRet) to use for ERRNO and TRACE.
func ParseAction(name string, errno *uint) (libseccomp.ScmpAction, error) {
	ret := int16(unix.EPERM)
	if errno != nil {
		if *errno > 4095 {
			return libseccomp.ActInvalid, fmt.Errorf("errnoRet %d is out of range", *errno)
		}
		ret = int16(*errno)
	}
	switch name {
	case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD":
		return libseccomp.ActKillThread, nil
	case "SCMP_ACT_KILL_PROCESS":
		return libseccomp.ActKillProcess, nil
	case "SCMP_ACT_TRAP":
		return libseccomp.ActTrap, nil
	case "SCMP_ACT_ERRNO":
		return libseccomp.ActErrno.SetReturnCode(ret), nil
	case "SCMP_ACT_TRACE":
		return libseccomp.ActTrace.SetReturnCode(ret), nil
	case "SCMP_ACT_ALLOW":
		return libseccomp.ActAllow, nil
	case "SCMP_ACT_LOG":
		return libseccomp.ActLog, nil
	case "SCMP_ACT_NOTIFY":
		return libseccomp.ActNotify, nil
	}
	return libseccomp.ActInvalid, fmt.Errorf("unknown action %q", name)
}

var compareOps = map[string]libseccomp.ScmpCompareOp{
	"SCMP_CMP_NE":        libseccomp.CompareNotEqual,
	"SCMP_CMP_LT":        libseccomp.CompareLess,
	"SCMP_CMP_LE":        libseccomp.CompareLessOrEqual,
	"SCMP_CMP_EQ":        libseccomp.CompareEqual,
	"SCMP_CMP_GE":        libseccomp.CompareGreaterEqual,
	"SCMP_CMP_GT":        libseccomp.CompareGreater,
	"SCMP_CMP_MASKED_EQ": libseccomp.CompareMaskedEqual,
}

// archName turns "SCMP_ARCH_X86_64" into libseccomp's "x86_64", as runc does.
func archName(a string) string {
	return strings.ToLower(strings.TrimPrefix(a, "SCMP_ARCH_"))
}

// UsesNotify reports whether the profile itself asks for user notification
// (which needs a listener the runtime provides via listenerPath).
func (p *Profile) UsesNotify() bool {
	if p.DefaultAction == "SCMP_ACT_NOTIFY" {
		return true
	}
	for _, r := range p.Syscalls {
		if r.Action == "SCMP_ACT_NOTIFY" {
			return true
		}
	}
	return false
}

// Compile builds the program the runtime would install for p.
func Compile(p *Profile, o Options) (*Program, error) {
	if p.DefaultAction == "" {
		return nil, fmt.Errorf("defaultAction is required")
	}
	def, err := ParseAction(p.DefaultAction, p.DefaultErrnoRet)
	if err != nil {
		return nil, fmt.Errorf("defaultAction: %w", err)
	}
	f, err := libseccomp.NewFilter(def)
	if err != nil {
		return nil, fmt.Errorf("creating the filter: %w", err)
	}
	defer f.Release()
	native, err := libseccomp.GetNativeArch()
	if err != nil {
		return nil, err
	}
	prog := &Program{}
	for _, a := range p.arches(native) {
		arch, err := libseccomp.GetArchFromString(archName(a))
		if err != nil {
			return nil, fmt.Errorf("architecture %q: %w", a, err)
		}
		if err := f.AddArch(arch); err != nil {
			return nil, fmt.Errorf("architecture %q: %w", a, err)
		}
	}
	for _, fl := range p.Flags {
		switch fl {
		case "SECCOMP_FILTER_FLAG_LOG":
			prog.Flags |= FlagLog
		case "SECCOMP_FILTER_FLAG_SPEC_ALLOW":
			prog.Flags |= FlagSpecAllow
		case "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV":
			// TSYNC is implied: the filter is installed before execve.
		default:
			return nil, fmt.Errorf("unknown flag %q", fl)
		}
	}
	kernel := o.Kernel
	if kernel == "" {
		kernel = KernelRelease()
	}
	caps := map[string]bool{}
	for _, c := range o.Caps {
		caps[strings.ToUpper(c)] = true
	}
	nativeName := native.String()
	for i, r := range p.Syscalls {
		if !r.applies(nativeName, caps, kernel) {
			continue
		}
		if r.ErrnoRet != nil && r.Action != "SCMP_ACT_ERRNO" && r.Action != "SCMP_ACT_TRACE" {
			return nil, fmt.Errorf("syscalls[%d]: errnoRet is only valid with SCMP_ACT_ERRNO and SCMP_ACT_TRACE", i)
		}
		act, err := ParseAction(r.Action, r.ErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("syscalls[%d]: %w", i, err)
		}
		if act == def {
			prog.Warnings = append(prog.Warnings, fmt.Sprintf("syscalls[%d]: action equals the default action; ignored", i))
			continue
		}
		conds, multi, err := conditions(r.Args)
		if err != nil {
			return nil, fmt.Errorf("syscalls[%d]: %w", i, err)
		}
		names := r.Names
		if r.Name != "" {
			names = append(append([]string(nil), names...), r.Name)
		}
		for _, name := range names {
			nr, err := libseccomp.GetSyscallFromName(name)
			if err != nil {
				// runc ignores syscalls this libseccomp does not know.
				prog.Warnings = append(prog.Warnings, fmt.Sprintf("syscalls[%d]: unknown syscall %q ignored", i, name))
				continue
			}
			switch {
			case len(conds) == 0:
				err = f.AddRule(nr, act)
			case multi:
				// runc: when an argument index repeats, each condition
				// becomes a rule of its own (OR instead of AND).
				for _, c := range conds {
					if err = f.AddRuleConditional(nr, act, []libseccomp.ScmpCondition{c}); err != nil {
						break
					}
				}
			default:
				err = f.AddRuleConditional(nr, act, conds)
			}
			if err != nil {
				return nil, fmt.Errorf("syscalls[%d]: adding %s: %w", i, name, err)
			}
		}
	}
	prog.BPF, err = exportBPF(f)
	if err != nil {
		return nil, err
	}
	return prog, nil
}

func conditions(args []Arg) ([]libseccomp.ScmpCondition, bool, error) {
	var conds []libseccomp.ScmpCondition
	count := map[uint]int{}
	multi := false
	for _, a := range args {
		op, ok := compareOps[a.Op]
		if !ok {
			return nil, false, fmt.Errorf("unknown operator %q", a.Op)
		}
		if a.Index > 5 {
			return nil, false, fmt.Errorf("argument index %d is out of range 0-5", a.Index)
		}
		var c libseccomp.ScmpCondition
		var err error
		if op == libseccomp.CompareMaskedEqual {
			c, err = libseccomp.MakeCondition(a.Index, op, a.Value, a.ValueTwo)
		} else {
			c, err = libseccomp.MakeCondition(a.Index, op, a.Value)
		}
		if err != nil {
			return nil, false, err
		}
		count[a.Index]++
		if count[a.Index] > 1 {
			multi = true
		}
		conds = append(conds, c)
	}
	return conds, multi, nil
}

// arches returns the architectures to add: the list, or Docker's archMap
// entry for this machine.
func (p *Profile) arches(native libseccomp.ScmpArch) []string {
	if len(p.Architectures) > 0 {
		return p.Architectures
	}
	for _, m := range p.ArchMap {
		if archName(m.Arch) == native.String() || (archName(m.Arch) == "x86_64" && native == libseccomp.ArchAMD64) {
			return append([]string{m.Arch}, m.SubArches...)
		}
	}
	return nil
}

// applies evaluates includes/excludes as moby's profile loader does.
func (r *Rule) applies(native string, caps map[string]bool, kernel string) bool {
	archIs := func(list []string) bool {
		for _, a := range list {
			n := archName(a)
			if n == native || (n == "x86_64" && native == "amd64") || (n == "amd64" && native == "x86_64") || (n == "aarch64" && native == "arm64") {
				return true
			}
		}
		return false
	}
	if in := r.Includes; in != nil {
		if len(in.Arches) > 0 && !archIs(in.Arches) {
			return false
		}
		for _, c := range in.Caps {
			if !caps[strings.ToUpper(c)] {
				return false
			}
		}
		if in.MinKernel != "" && !kernelAtLeast(kernel, in.MinKernel) {
			return false
		}
	}
	if ex := r.Excludes; ex != nil {
		if len(ex.Arches) > 0 && archIs(ex.Arches) {
			return false
		}
		for _, c := range ex.Caps {
			if caps[strings.ToUpper(c)] {
				return false
			}
		}
		if ex.MinKernel != "" && kernelAtLeast(kernel, ex.MinKernel) {
			return false
		}
	}
	return true
}

// KernelRelease returns uname -r.
func KernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

// kernelAtLeast compares "major.minor" prefixes of kernel releases.
func kernelAtLeast(have, want string) bool {
	hm, hn := majorMinor(have)
	wm, wn := majorMinor(want)
	return hm > wm || (hm == wm && hn >= wn)
}

func majorMinor(v string) (int, int) {
	parts := strings.SplitN(v, ".", 3)
	num := func(s string) int {
		end := 0
		for end < len(s) && s[end] >= '0' && s[end] <= '9' {
			end++
		}
		n, _ := strconv.Atoi(s[:end])
		return n
	}
	maj := num(parts[0])
	min := 0
	if len(parts) > 1 {
		min = num(parts[1])
	}
	return maj, min
}

// NotifyAll is a program that routes every syscall to user notification:
// the supervisor of `secprof record` and of failure explanations answers
// each one (and evaluates the real profile on it).
func NotifyAll() (*Program, error) {
	f, err := libseccomp.NewFilter(libseccomp.ActNotify)
	if err != nil {
		return nil, fmt.Errorf("creating the notify filter: %w", err)
	}
	defer f.Release()
	b, err := exportBPF(f)
	if err != nil {
		return nil, err
	}
	return &Program{BPF: b}, nil
}

// exportBPF writes the program through a memfd: seccomp_export_bpf_mem
// needs libseccomp 2.6, Debian bookworm has 2.5.
func exportBPF(f *libseccomp.ScmpFilter) ([]byte, error) {
	fd, err := unix.MemfdCreate("secprof-bpf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	mf := os.NewFile(uintptr(fd), "secprof-bpf")
	defer mf.Close()
	if err := f.ExportBPF(mf); err != nil {
		return nil, fmt.Errorf("exporting the filter: %w", err)
	}
	if _, err := mf.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(mf)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 || len(b)%8 != 0 {
		return nil, fmt.Errorf("libseccomp exported a %d-byte program", len(b))
	}
	return b, nil
}
