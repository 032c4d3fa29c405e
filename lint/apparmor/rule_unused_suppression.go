package apparmor

import "github.com/secprof/secprof/lint"

// apparmor/unused-suppression: a `# secprof:ignore RULE-ID reason` comment
// suppresses no finding (see suppress.go), so it is stale or misplaced.
func init() {
	register(lint.Rule{ID: ruleUnusedSuppression, Severity: lint.Warning,
		Summary: "A # secprof:ignore comment suppresses nothing"}, nil)
}
