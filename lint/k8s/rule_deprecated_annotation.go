package k8s

import (
	"github.com/secprof/secprof/lint"
)

// The seccomp annotations (seccomp.security.alpha.kubernetes.io/pod,
// container.seccomp.security.alpha.kubernetes.io/<name>) were deprecated
// when the seccompProfile field went GA in Kubernetes v1.19 and have been
// non-functional since v1.27; the AppArmor annotation
// (container.apparmor.security.beta.kubernetes.io/<name>) is deprecated
// since v1.30, which added the appArmorProfile field (AppArmor GA in
// v1.31). An annotation that disagrees with the field beside it is an
// error: which one wins depends on the version. On a controller's own
// metadata, rather than its pod template's, the annotation reaches no pod.
func init() {
	register(&rule{
		Rule: lint.Rule{ID: RuleDeprecatedAnnotation, Severity: lint.Warning,
			Summary: "a deprecated seccomp/AppArmor annotation is used (or disagrees with the field that replaces it)"},
		check: checkDeprecatedAnnotation,
	})
}

func checkDeprecatedAnnotation(c *checkCtx, w *Workload) []lint.Finding {
	var out []lint.Finding
	for _, a := range annotations(w.Meta, true) {
		m, name, ok := profileAnnotation(a.Key)
		if !ok {
			continue
		}
		var ct *Container
		if name != "" {
			ct = w.Container(name)
		}
		ann := annotationSetting(m, a, ct)
		// The field this annotation stands for: the pod's for the pod-wide
		// annotation, else what applies to the container.
		var field *Setting
		switch {
		case name == "":
			field = fieldSetting(m, PodField, nil, w.SecurityContext)
		case ct != nil:
			field = w.EffectiveField(ct, m)
		}
		if field != nil && ann.Type != "" && field.Type != "" && !sameProfile(ann, field) {
			out = append(out, c.at(a.ValueNode, RuleDeprecatedAnnotation,
				"annotation %s says %s but %s (line %d) says %s: which one applies depends on the Kubernetes version; %s",
				a.Key, ann.Profile(), field.Describe(), line(field.Node()), field.Profile(), replacement(m, name)).
				WithSeverity(lint.Error).
				WithFix("remove the annotation and keep the field"))
			continue
		}
		msg := "annotation %s is %s; %s"
		args := []any{a.Key, deprecation(m), replacement(m, name)}
		if field != nil && ann.Type != "" && field.Type != "" {
			msg += " (%s, line %d, already says the same: remove the annotation)"
			args = append(args, field.Describe(), line(field.Node()))
		}
		out = append(out, c.at(a.KeyNode, RuleDeprecatedAnnotation, msg, args...).WithFix("%s", fixFor(m, name, ann)))
	}
	if w.ObjectMeta != nil && w.ObjectMeta != w.Meta {
		for _, a := range annotations(w.ObjectMeta, false) {
			m, _, ok := profileAnnotation(a.Key)
			if !ok {
				continue
			}
			out = append(out, c.at(a.KeyNode, RuleDeprecatedAnnotation,
				"annotation %s is on the %s itself, not on its pod template: it reaches no pod; use the %s field of the pod template's securityContext",
				a.Key, w.Kind, m.field()).WithSeverity(lint.Error))
		}
	}
	return out
}

func sameProfile(a, b *Setting) bool {
	if a.Type != b.Type {
		return false
	}
	return a.Type != TypeLocalhost || a.Localhost == b.Localhost
}

func deprecation(m Mechanism) string {
	if m == AppArmor {
		return "deprecated since Kubernetes v1.30"
	}
	return "deprecated since Kubernetes v1.19 and ignored since v1.27"
}

func replacement(m Mechanism, container string) string {
	field := "spec.securityContext." + m.field()
	if container != "" {
		field = "securityContext." + m.field() + " of container " + quote(container)
	}
	if m == AppArmor {
		return "use " + field + " (since v1.30; AppArmor is GA since v1.31)"
	}
	return "use " + field + " (GA since v1.19)"
}

// fixFor renders the field that replaces annotation setting s.
func fixFor(m Mechanism, container string, s *Setting) string {
	where := "spec.securityContext"
	if container != "" {
		where = "containers[name=" + container + "].securityContext"
	}
	switch s.Type {
	case TypeLocalhost:
		return where + "." + m.field() + ": {type: Localhost, localhostProfile: " + s.Localhost + "}"
	case "":
		return "replace it with " + where + "." + m.field()
	default:
		return where + "." + m.field() + ": {type: " + s.Type + "}"
	}
}
