package seccomp

import (
	"slices"
	"sort"
	"strings"
	"sync"

	libseccomp "github.com/seccomp/libseccomp-golang"
)

// archNames maps the profile spelling of every architecture libseccomp
// knows to libseccomp's constant.
var archNames = map[string]libseccomp.ScmpArch{
	"SCMP_ARCH_NATIVE":      libseccomp.ArchNative,
	"SCMP_ARCH_X86":         libseccomp.ArchX86,
	"SCMP_ARCH_X86_64":      libseccomp.ArchAMD64,
	"SCMP_ARCH_X32":         libseccomp.ArchX32,
	"SCMP_ARCH_ARM":         libseccomp.ArchARM,
	"SCMP_ARCH_AARCH64":     libseccomp.ArchARM64,
	"SCMP_ARCH_MIPS":        libseccomp.ArchMIPS,
	"SCMP_ARCH_MIPS64":      libseccomp.ArchMIPS64,
	"SCMP_ARCH_MIPS64N32":   libseccomp.ArchMIPS64N32,
	"SCMP_ARCH_MIPSEL":      libseccomp.ArchMIPSEL,
	"SCMP_ARCH_MIPSEL64":    libseccomp.ArchMIPSEL64,
	"SCMP_ARCH_MIPSEL64N32": libseccomp.ArchMIPSEL64N32,
	"SCMP_ARCH_PPC":         libseccomp.ArchPPC,
	"SCMP_ARCH_PPC64":       libseccomp.ArchPPC64,
	"SCMP_ARCH_PPC64LE":     libseccomp.ArchPPC64LE,
	"SCMP_ARCH_S390":        libseccomp.ArchS390,
	"SCMP_ARCH_S390X":       libseccomp.ArchS390X,
	"SCMP_ARCH_PARISC":      libseccomp.ArchPARISC,
	"SCMP_ARCH_PARISC64":    libseccomp.ArchPARISC64,
	"SCMP_ARCH_RISCV64":     libseccomp.ArchRISCV64,
	"SCMP_ARCH_LOONGARCH64": libseccomp.ArchLOONGARCH64,
	"SCMP_ARCH_M68K":        libseccomp.ArchM68K,
	"SCMP_ARCH_SH":          libseccomp.ArchSH,
	"SCMP_ARCH_SHEB":        libseccomp.ArchSHEB,
}

// dockerArchNames are the spellings Docker accepts in includes/excludes
// arches (Go's GOARCH values plus the compat ABIs).
var dockerArchNames = []string{"386", "amd64", "arm", "arm64", "loong64", "loongarch64", "mips", "mips64", "mips64le", "mips64n32", "mips64le32", "mipsel", "mipsel64", "mipsel64n32", "mipsle", "parisc", "parisc64", "ppc", "ppc64", "ppc64le", "riscv64", "s390", "s390x", "x32", "x86"}

// ArchSupported reports whether the libseccomp secprof is linked against
// can build filters for arch (a SCMP_ARCH_* name).
func ArchSupported(arch string) bool {
	a, ok := archNames[arch]
	if !ok {
		return false
	}
	if a == libseccomp.ArchNative {
		return true
	}
	_, err := libseccomp.GetSyscallFromNameByArch("close", a)
	return err == nil
}

var resolveCache sync.Map // syscall name → []string of arches it exists on

// syscallArches returns the architectures (SCMP_ARCH_* names, sorted) on
// which libseccomp knows syscall name.
func syscallArches(name string) []string {
	if v, ok := resolveCache.Load(name); ok {
		return v.([]string)
	}
	var out []string
	if name != "" && len(name) < 64 && !strings.ContainsAny(name, "\x00") {
		for s, a := range archNames {
			if a == libseccomp.ArchNative {
				continue
			}
			// Names that exist elsewhere resolve to negative pseudo
			// numbers: they are not syscalls of this architecture.
			if nr, err := libseccomp.GetSyscallFromNameByArch(name, a); err == nil && nr >= 0 {
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	resolveCache.Store(name, out)
	return out
}

// SyscallKnown reports whether name is a syscall of some architecture
// (on one of arches when arches is not empty).
func SyscallKnown(name string, arches ...string) bool {
	known := syscallArches(name)
	if len(arches) == 0 {
		return len(known) > 0
	}
	for _, a := range arches {
		if a == "SCMP_ARCH_NATIVE" {
			a = nativeArch()
		}
		if slices.Contains(known, a) {
			return true
		}
	}
	return false
}

var (
	allNamesOnce sync.Once
	allNames     []string
)

// knownSyscalls lists every syscall name libseccomp knows on the common
// architectures, for "did you mean" suggestions. libseccomp has no list
// call; numbers are resolved back to names instead.
func knownSyscalls() []string {
	allNamesOnce.Do(func() {
		seen := map[string]bool{}
		bases := []struct {
			arch libseccomp.ScmpArch
			base int32
		}{
			{libseccomp.ArchAMD64, 0}, {libseccomp.ArchX86, 0}, {libseccomp.ArchARM64, 0},
			{libseccomp.ArchARM, 0}, {libseccomp.ArchARM, 0x0f0000}, {libseccomp.ArchPPC64LE, 0},
			{libseccomp.ArchS390X, 0}, {libseccomp.ArchX32, 0x40000000}, {libseccomp.ArchMIPS64, 5000},
		}
		for _, b := range bases {
			for n := int32(0); n < 1024; n++ {
				name, err := libseccomp.ScmpSyscall(b.base + n).GetNameByArch(b.arch)
				if err == nil && name != "" && !seen[name] {
					seen[name] = true
					allNames = append(allNames, name)
				}
			}
		}
		sort.Strings(allNames)
	})
	return allNames
}

// nativeArch is the SCMP_ARCH_* name of the machine secprof runs on.
func nativeArch() string {
	a, err := libseccomp.GetNativeArch()
	if err != nil {
		return "SCMP_ARCH_X86_64"
	}
	for s, v := range archNames {
		if v == a && s != "SCMP_ARCH_NATIVE" {
			return s
		}
	}
	return "SCMP_ARCH_X86_64"
}
