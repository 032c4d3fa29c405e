package k8s

import (
	"strings"

	"github.com/secprof/secprof/lint"
)

// A Localhost seccomp profile names a file under the kubelet's seccomp
// directory; when it is missing the runtime cannot create the container
// (CreateContainerError). secprof looks for it under profiles.seccomp, and
// for SPO paths (operator/<namespace>/<name>.json) among the run's
// SeccompProfile objects.
func init() {
	register(&rule{
		Rule: lint.Rule{ID: RuleLocalhostProfileNotFound, Severity: lint.Error,
			Summary: "a Localhost seccomp profile does not exist under the seccomp profiles directory"},
		check: checkLocalhostProfileNotFound,
	})
}

func checkLocalhostProfileNotFound(c *checkCtx, w *Workload) []lint.Finding {
	var out []lint.Finding
	idx := c.idx
	for _, s := range w.Settings() {
		if s.Mech != Seccomp || !localhostUsable(s) || (s.Container != nil && s.Container.Index < 0) {
			continue
		}
		ns, name, isSPO := spoProfile(s.Localhost)
		if isSPO && idx.spoDeclared(ns, name) {
			continue
		}
		if idx.seccompDir == "" {
			if isSPO && len(idx.spo) > 0 {
				out = append(out, notFoundSPO(c, s, ns, name))
			}
			continue // profiles.seccomp not configured (or unusable): nothing to look in
		}
		found, tried, escaped := idx.seccompProfileExists(s.Localhost)
		if found {
			continue
		}
		if isSPO {
			out = append(out, notFoundSPO(c, s, ns, name))
			continue
		}
		msg := "%s: %s is not in the seccomp profiles directory %s (looked for %s): the runtime cannot create the container (CreateContainerError)"
		args := []any{s.Describe(), quote(s.Localhost), idx.seccompShown, strings.Join(tried, ", ")}
		switch {
		case idx.seccompErr != "":
			msg = "%s: %s cannot be found: the seccomp profiles directory %s (profiles.seccomp) %s"
			args = []any{s.Describe(), quote(s.Localhost), idx.seccompShown, idx.seccompErr}
		case len(escaped) > 0:
			msg = "%s: %s is a link that leads out of the workspace; secprof does not follow it, and the kubelet's copy may differ"
			args = []any{s.Describe(), escaped[0]}
		}
		out = append(out, c.at(s.LocalhostNode, RuleLocalhostProfileNotFound, msg, args...))
	}
	return out
}

func notFoundSPO(c *checkCtx, s *Setting, ns, name string) lint.Finding {
	return c.at(s.LocalhostNode, RuleLocalhostProfileNotFound,
		"%s: %s is where the Security Profiles Operator installs SeccompProfile %q of namespace %q, but no such SeccompProfile is among the linted files (nor the file in the seccomp profiles directory)",
		s.Describe(), quote(s.Localhost), name, ns)
}
