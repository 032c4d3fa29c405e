package k8s

import (
	"github.com/secprof/secprof/lint"
)

// allowPrivilegeEscalation: false sets no_new_privs, so setuid binaries
// and file capabilities cannot raise the process's privileges; the
// restricted Pod Security Standard requires it. Unset means allowed. The
// API server rejects false together with privileged: true or an added
// CAP_SYS_ADMIN.
func init() {
	register(&rule{
		Rule: lint.Rule{ID: RuleAllowPrivilegeEscalation, Severity: lint.Warning,
			Summary: "a container does not set allowPrivilegeEscalation: false (required by the restricted Pod Security Standard)"},
		check: checkAllowPrivilegeEscalation,
	})
}

func checkAllowPrivilegeEscalation(c *checkCtx, w *Workload) []lint.Finding {
	if w.Windows {
		return nil
	}
	var out []lint.Finding
	for _, ct := range w.Containers {
		k, v := get(ct.SecurityContext, "allowPrivilegeEscalation")
		if k == nil {
			n := ct.NameNode
			if n == nil {
				n = ct.Node
			}
			out = append(out, c.at(n, RuleAllowPrivilegeEscalation,
				"%s does not set securityContext.allowPrivilegeEscalation: false, so setuid binaries can gain privileges", ct.Ref()).
				WithFix("add securityContext: {allowPrivilegeEscalation: false} to the container"))
			continue
		}
		allow, ok := boolValue(v)
		if !ok {
			continue
		}
		if allow {
			out = append(out, c.at(v, RuleAllowPrivilegeEscalation,
				"%s sets allowPrivilegeEscalation: true: setuid binaries and file capabilities can gain privileges", ct.Ref()).
				WithSeverity(lint.Error).WithFix("set allowPrivilegeEscalation: false"))
			continue
		}
		pk, pv := get(ct.SecurityContext, "privileged")
		if priv, ok := boolValue(pv); ok && priv {
			out = append(out, c.at(v, RuleAllowPrivilegeEscalation,
				"%s sets allowPrivilegeEscalation: false and privileged: true (line %d): the API server rejects the pod, a privileged container can always escalate", ct.Ref(), line(pk)).
				WithSeverity(lint.Error))
			continue
		}
		for _, capn := range items(value(value(ct.SecurityContext, "capabilities"), "add")) {
			if s, _ := scalar(capn); s == "CAP_SYS_ADMIN" {
				out = append(out, c.at(v, RuleAllowPrivilegeEscalation,
					"%s sets allowPrivilegeEscalation: false but adds CAP_SYS_ADMIN (line %d): the API server rejects the pod", ct.Ref(), line(capn)).
					WithSeverity(lint.Error))
				break
			}
		}
	}
	return out
}
