package seccomp

import "github.com/secprof/secprof/lint"

func init() {
	register(lint.Rule{ID: "seccomp/redundant-rule", Severity: lint.Warning,
		Summary: "a rule whose action equals defaultAction: it changes nothing, and runc before 1.0 refuses the profile (\"requested action matches default action of filter\")"},
		checkRedundantRule)
}

func checkRedundantRule(ps *pass) {
	if !ps.p.DefaultAction.Set {
		return
	}
	def := ps.defaultRet()
	for _, s := range ps.p.Syscalls {
		if !s.Action.Set || ps.ruleRet(s) != def {
			continue
		}
		ps.add(ps.at(s.Action.At, "this rule's action %s is the default action: it changes nothing; current runc skips it, older runc and libseccomp refuse it (\"requested action matches default action of filter\")", def).
			WithFix("remove the rule"))
	}
}
