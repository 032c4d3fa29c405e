package apparmor

import (
	"strings"

	"github.com/secprof/secprof/lint"
)

// apparmor/no-profile-name: Kubernetes refers to a profile by name
// (localhost/NAME, or appArmorProfile.localhostProfile). A profile named
// only by the path it attaches to, a namespaced one, or one whose name
// holds a variable, blanks or `//` cannot be referenced that way. For SPO
// objects the name must also equal metadata.name (see spo.go).
func init() {
	register(lint.Rule{ID: "apparmor/no-profile-name", Severity: lint.Warning,
		Summary: "A profile has no name Kubernetes can reference (localhost/NAME)"}, checkNoProfileName)
}

func checkNoProfileName(ps *pass) {
	for _, prof := range ps.ownProfiles() {
		n := prof.Name.Text
		var why string
		switch {
		case prof.IsHat():
			continue
		case strings.HasPrefix(n, ":"):
			why = "is in a policy namespace"
		case strings.Contains(n, "@{"):
			why = "contains a variable, so its name is only known when it is loaded"
		case prof.Keyword == "" && strings.HasPrefix(n, "/"):
			why = "is named by the path it attaches to (a pod would need localhost/" + n + ")"
		case strings.ContainsAny(n, " \t\"'"):
			why = "contains blanks or quotes"
		case strings.Contains(n, "//"):
			why = "contains '//', which separates a profile from its children"
		default:
			continue
		}
		fix := "name it: profile NAME " + n + " {"
		if prof.Keyword != "" {
			fix = "use a plain name: letters, digits, '-', '_' and '.'"
		}
		ps.report(prof.Name.Span, fix, "profile %s %s; Kubernetes references profiles as localhost/NAME", n, why)
	}
}
