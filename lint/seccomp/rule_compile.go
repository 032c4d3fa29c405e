package seccomp

import (
	"strings"

	"github.com/secprof/secprof/lint"
)

func init() {
	register(lint.Rule{ID: "seccomp/compile", Severity: lint.Error,
		Summary: "libseccomp cannot build the filter the runtime would build, or the BPF program exceeds the kernel's 4096-instruction limit"},
		checkCompile)
}

func checkCompile(ps *pass) {
	res, errs := compile(ps.p, ps.env())
	for _, e := range errs {
		ps.add(ps.at(e.At, "%s", e.Msg))
	}
	if len(errs) > 0 {
		return
	}
	arches := strings.Join(short(res.Arches), ", ")
	switch {
	case res.Instructions > MaxInstructions:
		ps.add(ps.at(ps.p.DefaultAction.At, "the filter compiles to %d BPF instructions for %s, more than the kernel's limit of %d: seccomp(2) fails with EINVAL and no container starts", res.Instructions, arches, MaxInstructions).
			WithFix("merge rules with the same action into one names list, drop architectures the nodes do not run, or move argument conditions into fewer rules"))
	case res.Instructions > MaxInstructions*3/4:
		ps.add(ps.at(ps.p.DefaultAction.At, "the filter compiles to %d BPF instructions for %s, close to the kernel's limit of %d (runc adds its own stub)", res.Instructions, arches, MaxInstructions).
			WithSeverity(lint.Warning))
	}
}
