package seccomp

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/secprof/secprof/lint"
)

func init() {
	register(lint.Rule{ID: "seccomp/unknown-syscall", Severity: lint.Error,
		Summary: "a syscall name libseccomp does not know: runtimes skip it silently, so a typo in an allow list breaks the workload and one in a deny list allows the call"},
		checkUnknownSyscall)
}

func checkUnknownSyscall(ps *pass) {
	p := ps.p
	listed := profileArches(p)
	for _, s := range p.Syscalls {
		for _, n := range s.AllNames() {
			if n.V == "" {
				continue
			}
			if !SyscallKnown(n.V) {
				consequence := "runtimes skip it silently"
				if Permits(s.Action.V) {
					consequence = "runtimes skip it silently, so the workload will be denied the call it needs"
				} else if Denies(s.Action.V) {
					consequence = "runtimes skip it silently, so the call it meant to deny stays allowed"
				}
				f := ps.at(n.At, "unknown syscall %q: %s", n.V, consequence)
				if sug := nearest(n.V, knownSyscalls(), max(2, len(n.V)/3)); sug != "" {
					f.Message += fmt.Sprintf(" (did you mean %q?)", sug)
					f.Fix = fmt.Sprintf("use %q", sug)
				}
				ps.add(f)
				continue
			}
			if len(listed) > 0 && !SyscallKnown(n.V, listed...) {
				ps.add(ps.at(n.At, "syscall %q does not exist on %s (only on %s): runtimes skip it", n.V, strings.Join(short(listed), ", "), strings.Join(short(syscallArches(n.V)), ", ")).
					WithSeverity(lint.Info))
			}
		}
	}
}

// profileArches lists the architectures the profile names anywhere
// (architectures and archMap), whatever the runtime makes of them.
func profileArches(p *Profile) []string {
	var out []string
	for _, a := range p.Architectures.Items {
		out = append(out, a.V)
	}
	for _, am := range p.ArchMap {
		out = append(out, am.Architecture.V)
		out = append(out, am.SubArchitectures.Values()...)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func short(arches []string) []string {
	out := make([]string, len(arches))
	for i, a := range arches {
		out[i] = strings.TrimPrefix(a, "SCMP_ARCH_")
	}
	return out
}
