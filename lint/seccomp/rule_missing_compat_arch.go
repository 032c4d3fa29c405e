package seccomp

import (
	"slices"
	"strings"

	"github.com/secprof/secprof/lint"
)

func init() {
	register(lint.Rule{ID: "seccomp/missing-compat-arch", Severity: lint.Warning,
		Summary: "a 64-bit architecture is listed without its compat ABIs (e.g. SCMP_ARCH_X86_64 without SCMP_ARCH_X86 and SCMP_ARCH_X32): 32-bit syscalls hit the bad-architecture action and kill the process"},
		checkMissingCompatArch)
}

// compatArches are the ABIs a 64-bit kernel also runs, as Docker's default
// archMap lists them.
var compatArches = map[string][]string{
	"SCMP_ARCH_X86_64":   {"SCMP_ARCH_X86", "SCMP_ARCH_X32"},
	"SCMP_ARCH_AARCH64":  {"SCMP_ARCH_ARM"},
	"SCMP_ARCH_MIPS64":   {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"},
	"SCMP_ARCH_MIPSEL64": {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"},
	"SCMP_ARCH_S390X":    {"SCMP_ARCH_S390"},
}

func checkMissingCompatArch(ps *pass) {
	p := ps.p
	listed := p.Architectures.Values()
	for _, a := range p.Architectures.Items {
		var missing []string
		for _, c := range compatArches[a.V] {
			if !slices.Contains(listed, c) {
				missing = append(missing, c)
			}
		}
		if len(missing) == 0 {
			continue
		}
		// libseccomp gives syscalls of architectures missing from the
		// filter its bad-architecture action (SIGSYS), x32 included: no
		// bypass, but 32-bit programs die. How much that matters depends on
		// what the profile means to allow.
		f := ps.at(a.At, "%s is listed without %s: every 32-bit syscall is killed (bad-architecture action)", a.V, strings.Join(missing, " and "))
		if Permits(p.DefaultAction.V) {
			f.Message += ", although this profile otherwise allows what it does not deny"
			f = f.WithSeverity(lint.Warning)
		} else {
			f.Message += "; 32-bit programs in the image cannot run"
			f = f.WithSeverity(lint.Info)
		}
		ps.add(f.WithFix("add %s to architectures (Docker's default profile lists them)", strings.Join(missing, ", ")))
	}
}
