package k8s

import (
	"strings"

	"github.com/secprof/secprof/lint"
)

// maxAppArmorProfileLength is the API server's limit on
// appArmorProfile.localhostProfile.
const maxAppArmorProfileLength = 4095

// A Localhost seccomp profile must be a descending path relative to the
// kubelet's seccomp directory: the API server rejects absolute paths and
// ".." elements. localhostProfile is required with type Localhost and
// forbidden with any other type.
func init() {
	register(&rule{
		Rule: lint.Rule{ID: RuleLocalhostProfileInvalid, Severity: lint.Error,
			Summary: "a Localhost profile reference is malformed: absolute path, \"..\", missing, or set without type Localhost"},
		check: checkLocalhostProfileInvalid,
	})
}

func checkLocalhostProfileInvalid(c *checkCtx, w *Workload) []lint.Finding {
	var out []lint.Finding
	for _, s := range w.Settings() {
		if s.Type != TypeLocalhost {
			if s.Type != "" && s.LocalhostSet && !s.Source.IsAnnotation() {
				out = append(out, c.at(s.LocalhostNode, RuleLocalhostProfileInvalid,
					"%s.localhostProfile is set but the type is %s: it is only allowed with type Localhost (the API server rejects the pod)", s.Describe(), s.Type).
					WithFix("remove localhostProfile, or set type: Localhost"))
			}
			continue
		}
		if problem := localhostProblem(s); problem != "" {
			n := s.LocalhostNode
			if n == nil {
				n = s.Node()
			}
			out = append(out, c.at(n, RuleLocalhostProfileInvalid, "%s: %s", s.Describe(), problem))
		}
	}
	return out
}

// localhostProblem says what is wrong with a Localhost reference, or "".
func localhostProblem(s *Setting) string {
	if s.Localhost == "" {
		if s.Source.IsAnnotation() {
			return `"localhost/" names no profile`
		}
		return "type Localhost needs a localhostProfile"
	}
	if s.Mech == AppArmor {
		if strings.TrimSpace(s.Localhost) != s.Localhost {
			return "the AppArmor profile name " + quote(s.Localhost) + " is padded with whitespace (the API server rejects it)"
		}
		if len(s.Localhost) > maxAppArmorProfileLength {
			return "the AppArmor profile name is longer than 4095 characters (the API server rejects it)"
		}
		return ""
	}
	p := s.Localhost
	if strings.HasPrefix(p, "/") {
		return quote(p) + " is an absolute path: localhostProfile is relative to the kubelet's seccomp directory (/var/lib/kubelet/seccomp), e.g. profiles/audit.json"
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." {
			return quote(p) + ` contains "..": localhostProfile must descend from the kubelet's seccomp directory (the API server rejects it)`
		}
	}
	return ""
}

// localhostUsable tells whether a Localhost reference is well-formed
// enough to be looked up.
func localhostUsable(s *Setting) bool {
	return s.Type == TypeLocalhost && localhostProblem(s) == ""
}

func quote(s string) string { return `"` + s + `"` }
