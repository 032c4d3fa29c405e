package apparmor

import (
	"strings"

	"github.com/secprof/secprof/lint"
)

// apparmor/missing-base-abstraction: a top-level profile that does not
// include <abstractions/base>, which grants what nearly every program
// needs (the C library, locales, /dev/null...). Without it profiles tend
// to be patched with broad rules instead.
func init() {
	register(lint.Rule{ID: "apparmor/missing-base-abstraction", Severity: lint.Info,
		Summary: "A profile does not include <abstractions/base>"}, checkMissingBase)
}

func checkMissingBase(ps *pass) {
	for _, prof := range ps.ownProfiles() {
		if prof.IsHat() {
			continue
		}
		found := false
		for _, n := range prof.IncludeNames {
			if n == "abstractions/base" || strings.HasSuffix(n, "/abstractions/base") {
				found = true
				break
			}
		}
		if found {
			continue
		}
		ps.report(prof.Name.Span, "add include <abstractions/base> at the top of the profile",
			"profile %s does not include <abstractions/base>", prof.Name.Text)
	}
}
