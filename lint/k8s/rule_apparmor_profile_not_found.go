package k8s

import (
	"github.com/secprof/secprof/lint"
)

// A Localhost AppArmor profile is looked up by the name the profile
// declares (`profile NAME … {`), the name the kernel lists in
// /sys/kernel/security/apparmor/profiles, not by the file it is written
// in. When no profile of that name is loaded the container does not start
// (Blocked on kubelets before v1.24, CreateContainerError since).
func init() {
	register(&rule{
		Rule: lint.Rule{ID: RuleAppArmorProfileNotFound, Severity: lint.Error,
			Summary: "a Localhost AppArmor profile is defined by no profile of the AppArmor directory (names, not file names, must match)"},
		check: checkAppArmorProfileNotFound,
	})
}

func checkAppArmorProfileNotFound(c *checkCtx, w *Workload) []lint.Finding {
	idx := c.idx
	if idx.apparmorDir == "" || idx.apparmorNames == nil {
		return nil // profiles.apparmor not configured (or unusable)
	}
	var out []lint.Finding
	for _, s := range w.Settings() {
		if s.Mech != AppArmor || !localhostUsable(s) || (s.Container != nil && s.Container.Index < 0) {
			continue
		}
		if len(idx.apparmorDefinedIn(s.Localhost)) > 0 {
			continue
		}
		var f lint.Finding
		switch {
		case idx.apparmorErr != "":
			f = c.at(s.LocalhostNode, RuleAppArmorProfileNotFound,
				"%s: AppArmor profile %s cannot be found: the AppArmor directory %s (profiles.apparmor) %s",
				s.Describe(), quote(s.Localhost), idx.apparmorShown, idx.apparmorErr)
		default:
			msg := "%s: no file of the AppArmor directory %s defines a profile named %s: the container will not start (Blocked, or CreateContainerError on kubelets since v1.24)"
			args := []any{s.Describe(), idx.apparmorShown, quote(s.Localhost)}
			if hint := idx.apparmorHint(s.Localhost); hint != "" {
				msg += "; %s"
				args = append(args, hint)
			}
			f = c.at(s.LocalhostNode, RuleAppArmorProfileNotFound, msg, args...)
		}
		out = append(out, f)
	}
	return out
}
