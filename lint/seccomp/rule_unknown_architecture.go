package seccomp

import (
	"fmt"
	"sort"
	"strings"

	libseccomp "github.com/seccomp/libseccomp-golang"

	"github.com/secprof/secprof/lint"
)

func init() {
	register(lint.Rule{ID: "seccomp/unknown-architecture", Severity: lint.Error,
		Summary: "an architecture name runtimes do not know: the runtime refuses the profile (architectures, archMap) or the condition never holds (includes/excludes arches)"},
		checkUnknownArchitecture)
}

func scmpArchList() []string {
	out := make([]string, 0, len(archNames))
	for n := range archNames {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// suggestArch proposes the SCMP_ARCH_* name for a misspelt one, trying
// libseccomp's own aliases first ("amd64" → SCMP_ARCH_X86_64).
func suggestArch(s string) string {
	if a, err := libseccomp.GetArchFromString(strings.TrimPrefix(strings.ToUpper(s), "SCMP_ARCH_")); err == nil {
		for n, v := range archNames {
			if v == a {
				return n
			}
		}
	}
	return nearest(s, scmpArchList(), max(2, len(s)/4))
}

func checkUnknownArchitecture(ps *pass) {
	p := ps.p
	check := func(a Field[string], where string) {
		if _, ok := archNames[a.V]; ok {
			if !ArchSupported(a.V) {
				maj, mi, mc := libseccomp.GetLibraryVersion()
				ps.add(ps.at(a.At, "%s is not supported by libseccomp %d.%d.%d: runtimes linked against it refuse the profile", a.V, maj, mi, mc).WithSeverity(lint.Warning))
			}
			return
		}
		f := ps.at(a.At, "unknown architecture %q in %s: the runtime refuses the profile", a.V, where)
		if s := suggestArch(a.V); s != "" && s != a.V {
			f.Message += fmt.Sprintf(" (did you mean %q?)", s)
			f.Fix = fmt.Sprintf("use %q", s)
		}
		ps.add(f)
	}
	for _, a := range p.Architectures.Items {
		check(a, "architectures")
	}
	for _, am := range p.ArchMap {
		if am.Architecture.Set {
			check(am.Architecture, "archMap")
		}
		for _, a := range am.SubArchitectures.Items {
			check(a, "archMap subArchitectures")
		}
	}
	for _, s := range p.Syscalls {
		for _, fl := range []*Filter{s.Includes, s.Excludes} {
			if fl == nil {
				continue
			}
			for _, a := range fl.Arches.Items {
				if contains(dockerArchNames, a.V) {
					continue
				}
				f := ps.at(a.At, "unknown architecture %q: includes/excludes arches use Go's names (amd64, arm64, x86, x32, …), so this condition never matches", a.V)
				if sug := dockerSuggestion(a.V); sug != "" {
					f.Message += fmt.Sprintf(" (did you mean %q?)", sug)
					f.Fix = fmt.Sprintf("use %q", sug)
				}
				ps.add(f)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func dockerSuggestion(s string) string {
	if _, ok := archNames[s]; ok {
		if d := dockerArch(s); d != s {
			return d
		}
	}
	switch strings.ToLower(s) {
	case "x86_64", "x86-64", "x64":
		return "amd64"
	case "aarch64":
		return "arm64"
	case "i386", "i686":
		return "x86"
	}
	return nearest(s, dockerArchNames, 2)
}
