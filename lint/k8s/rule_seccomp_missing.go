package k8s

import (
	"github.com/secprof/secprof/lint"
)

// The restricted Pod Security Standard requires every container to run
// under an explicit seccomp profile (RuntimeDefault or Localhost), set on
// the pod or on the container. Without one the kubelet runs the container
// Unconfined unless it was started with --seccomp-default. The alpha
// annotations do not count: the kubelet has ignored them since v1.27.
func init() {
	register(&rule{
		Rule: lint.Rule{ID: RuleSeccompMissing, Severity: lint.Warning,
			Summary: "a container has no seccomp profile (required by the restricted Pod Security Standard)"},
		check: checkSeccompMissing,
	})
}

func checkSeccompMissing(c *checkCtx, w *Workload) []lint.Finding {
	if w.Windows {
		return nil // seccomp is Linux-only; the standard exempts Windows pods
	}
	var out []lint.Finding
	for _, ct := range w.Containers {
		if w.EffectiveField(ct, Seccomp) != nil {
			continue
		}
		n := ct.NameNode
		if n == nil {
			n = ct.Node
		}
		msg := "%s of %s has no seccompProfile: it runs Unconfined unless the kubelet uses --seccomp-default"
		args := []any{ct.Ref(), w.Ref()}
		if a := w.EffectiveAnnotation(ct, Seccomp); a != nil {
			msg += "; the annotation %s (line %d) is ignored since Kubernetes v1.27"
			args = append(args, a.Annotation, line(a.Key))
		}
		out = append(out, c.at(n, RuleSeccompMissing, msg, args...).
			WithFix("set spec.securityContext.seccompProfile.type: RuntimeDefault (or a Localhost profile) for the whole pod"))
	}
	return out
}
