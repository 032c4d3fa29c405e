package k8s

import (
	"github.com/secprof/secprof/lint"
)

// A privileged container runs without seccomp whatever profile the manifest
// asks for (containerd and CRI-O skip the filter for privileged
// containers), and without the runtime's default AppArmor profile. The
// Kubernetes documentation says privileged containers ignore AppArmor
// profiles altogether; containerd still applies an explicit Localhost one,
// so that case is only a warning.
func init() {
	register(&rule{
		Rule: lint.Rule{ID: RulePrivilegedOverridesProfile, Severity: lint.Error,
			Summary: "a profile is set on a privileged container, which runs seccomp Unconfined and ignores AppArmor"},
		check: checkPrivilegedOverridesProfile,
	})
}

func checkPrivilegedOverridesProfile(c *checkCtx, w *Workload) []lint.Finding {
	var out []lint.Finding
	for _, ct := range w.Containers {
		pk, pv := get(ct.SecurityContext, "privileged")
		if priv, ok := boolValue(pv); !ok || !priv {
			continue
		}
		for _, m := range []Mechanism{Seccomp, AppArmor} {
			own := fieldSetting(m, ContainerField, ct, ct.SecurityContext)
			if own == nil {
				own = containerAnnotation(w, ct, m)
			}
			if own != nil {
				if own.Confines() {
					out = append(out, privilegedFinding(c, own, line(pk)))
				}
				continue
			}
			// Inherited from the pod: the pod-level setting is right for the
			// other containers, so point at privileged: true.
			inherited := fieldSetting(m, PodField, nil, w.SecurityContext)
			if inherited == nil && m == Seccomp {
				inherited = podSeccompAnnotation(w)
			}
			if inherited != nil && inherited.Confines() {
				f := c.at(pv, RulePrivilegedOverridesProfile,
					"%s is privileged: the pod's %s (%s, line %d) does not apply to it; %s",
					ct.Ref(), inherited.Describe(), inherited.Profile(), line(inherited.Node()), privilegedEffect(inherited))
				if m == AppArmor && inherited.Type == TypeLocalhost {
					f = f.WithSeverity(lint.Warning)
				}
				out = append(out, f.WithFix("drop privileged: true and grant the capabilities the container needs, or set the profile to Unconfined to say what really happens"))
			}
		}
	}
	return out
}

func privilegedFinding(c *checkCtx, s *Setting, privLine int) lint.Finding {
	f := c.at(s.Node(), RulePrivilegedOverridesProfile,
		"%s sets %s, but the container is privileged (line %d): %s",
		s.Describe(), s.Profile(), privLine, privilegedEffect(s))
	if s.Mech == AppArmor && s.Type == TypeLocalhost {
		f = f.WithSeverity(lint.Warning)
	}
	return f.WithFix("drop privileged: true and grant the capabilities the container needs, or remove the profile")
}

func privilegedEffect(s *Setting) string {
	switch {
	case s.Mech == Seccomp:
		return "privileged containers run seccomp Unconfined whatever the profile"
	case s.Type == TypeRuntimeDefault:
		return "the runtime's default AppArmor profile is not applied to privileged containers"
	default:
		return "Kubernetes documents that privileged containers ignore AppArmor profiles (containerd still applies a Localhost one, other runtimes do not): do not rely on it"
	}
}

// containerAnnotation returns the container's own profile annotation.
func containerAnnotation(w *Workload, ct *Container, m Mechanism) *Setting {
	prefix := SeccompContainerAnnotationPrefix
	if m == AppArmor {
		prefix = AppArmorContainerAnnotationPrefix
	}
	for _, a := range annotations(w.Meta, true) {
		if a.Key == prefix+ct.Name && ct.Name != "" {
			return annotationSetting(m, a, ct)
		}
	}
	return nil
}

// podSeccompAnnotation returns the pod-wide seccomp annotation.
func podSeccompAnnotation(w *Workload) *Setting {
	for _, a := range annotations(w.Meta, true) {
		if a.Key == SeccompPodAnnotation {
			return annotationSetting(Seccomp, a, nil)
		}
	}
	return nil
}
