package apparmor

import (
	"strings"

	"github.com/secprof/secprof/lint"
)

// apparmor/unconfined-exec: a way out of confinement. Exec transitions with
// u (ux, Ux, pux, PUx, cux, CUx) run the program unconfined when no
// profile applies; change_profile to unconfined (or bare, which allows any
// profile including unconfined) lets the program drop confinement itself.
func init() {
	register(lint.Rule{ID: "apparmor/unconfined-exec", Severity: lint.Error,
		Summary: "A rule lets the program execute or change to unconfined"}, checkUnconfinedExec)
}

func checkUnconfinedExec(ps *pass) {
	ps.ownEntries(func(prof *Profile, e *Entry) {
		if e.Prefix.Deny() {
			return
		}
		switch r := e.Rule.(type) {
		case *FileRule:
			if r.Bare {
				return
			}
			if r.Perms.Unconfined() {
				if prof.deniedFile(samplePath(e.Path), e.Prefix.Owner).Exec != "" {
					return
				}
				what := "runs it unconfined"
				if len(r.Perms.Exec) == 3 {
					what = "runs it unconfined when its profile is not loaded"
				}
				ps.report(r.PermsWord.Span, "use ix (inherit this profile), px or cx (a profile of its own) instead",
					"%s %s: executing %s %s, with no AppArmor restrictions", r.Path.Text, r.PermsWord.Text, r.Path.Text, what)
				return
			}
			if r.Target != nil && r.Perms.Exec != "" && e.Target == "unconfined" {
				ps.report(r.Target.Span, "transition to a profile that confines the program",
					"%s %s -> unconfined: the program runs with no AppArmor restrictions", r.Path.Text, r.PermsWord.Text)
			}
		case *ChangeProfileRule:
			switch {
			case r.Target == nil && r.Exec == nil:
				ps.report(r.Span, "name the profiles it may change to: change_profile -> NAME,",
					"bare change_profile lets the program change to any profile, including unconfined")
			case r.Target == nil:
			case e.Target == "unconfined" || (strings.ContainsAny(e.Target, "*?[{") && prof.match(e.Target, "unconfined")):
				ps.report(r.Target.Span, "change only to profiles that confine the program",
					"change_profile -> %s lets the program drop its confinement (unconfined)", r.Target.Text)
			}
		}
	})
}
