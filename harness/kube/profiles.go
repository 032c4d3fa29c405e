package kube

import (
	"fmt"
	"regexp"
	"sort"

	corev1 "k8s.io/api/core/v1"

	"github.com/secprof/secprof/harness"
)

// safePath is what a Localhost path may hold to be copied onto nodes and
// named in shell scripts and ConfigMap items: no spaces, quotes or
// newlines, and no "." or ".." components (every component starts with a
// letter, digit or '_').
var safePath = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.+@-]*(/[A-Za-z0-9_][A-Za-z0-9_.+@-]*)*$`)

// LocalhostPaths lists the Localhost seccomp paths (relative to the
// plan's seccomp root) the plan's cases use: their seccomp: keys and the
// localhostProfile fields of their pod manifests. The backends put only
// these on the nodes, not whatever else the directory holds.
func LocalhostPaths(plan *harness.Plan) ([]string, error) {
	set := map[string]bool{}
	add := func(p string) error {
		if !safePath.MatchString(p) || len(p) > 1024 {
			return fmt.Errorf("Localhost profile path %q cannot be installed on nodes (use letters, digits, '_', '.', '-', '+', '@' and '/')", p)
		}
		set[p] = true
		return nil
	}
	for _, c := range plan.Cases {
		if c.SeccompRef.Kind == harness.SeccompLocalhost {
			if err := add(c.SeccompRef.Path); err != nil {
				return nil, fmt.Errorf("case %q: %w", c.Name, err)
			}
		}
		if c.PodPath == "" {
			continue
		}
		p, err := ReadPodManifest(c.PodPath)
		if err != nil {
			return nil, err
		}
		for _, sp := range podSeccompProfiles(p) {
			if sp.Type == corev1.SeccompProfileTypeLocalhost && sp.LocalhostProfile != nil {
				if err := add(*sp.LocalhostProfile); err != nil {
					return nil, fmt.Errorf("%s: %w", c.PodPath, err)
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

func podSeccompProfiles(p *corev1.Pod) []*corev1.SeccompProfile {
	var out []*corev1.SeccompProfile
	if p.Spec.SecurityContext != nil && p.Spec.SecurityContext.SeccompProfile != nil {
		out = append(out, p.Spec.SecurityContext.SeccompProfile)
	}
	for _, c := range allContainers(p) {
		if c.SecurityContext != nil && c.SecurityContext.SeccompProfile != nil {
			out = append(out, c.SecurityContext.SeccompProfile)
		}
	}
	return out
}

// SafePath reports whether p may be installed on nodes by name.
func SafePath(p string) bool { return safePath.MatchString(p) }
