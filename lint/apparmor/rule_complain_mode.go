package apparmor

import "github.com/secprof/secprof/lint"

// apparmor/complain-mode: profile modes that do not enforce the profile, or
// enforce it in a way that surprises.
func init() {
	register(lint.Rule{ID: "apparmor/complain-mode", Severity: lint.Warning,
		Summary: "The profile is in complain, unconfined, prompt, default_allow or kill mode"}, checkComplainMode)
}

var modeFlags = map[string]struct {
	sev      lint.Severity
	msg, fix string
}{
	"complain":      {lint.Warning, "is in complain mode: violations are logged but nothing is blocked", "remove flags=(complain) once the profile is tested, so that it is enforced"},
	"unconfined":    {lint.Warning, "is in unconfined mode: it confines nothing", "remove flags=(unconfined); a profile that confines nothing is better not referenced at all"},
	"default_allow": {lint.Warning, "is in default_allow mode: anything not explicitly denied is allowed", "remove flags=(default_allow) and allow what the program needs"},
	"prompt":        {lint.Warning, "is in prompt mode: decisions are deferred to a user-space prompt daemon, which containers do not have", "remove flags=(prompt)"},
	"kill":          {lint.Info, "is in kill mode: a denied access kills the process instead of failing the call, so a container may crash-loop instead of reporting an error", "use the default enforce mode unless killing on violation is intended"},
}

func checkComplainMode(ps *pass) {
	for _, prof := range ps.pol.AllProfiles() {
		if prof.file != ps.pol.File {
			continue
		}
		for _, f := range prof.Flags {
			m, ok := modeFlags[f.Text]
			if !ok {
				continue
			}
			x := ps.report(f.Span, m.fix, "profile %s %s", prof.FullName(), m.msg)
			x.sev = m.sev
		}
	}
}
