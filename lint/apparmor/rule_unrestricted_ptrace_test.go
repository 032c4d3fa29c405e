package apparmor

import "testing"

func TestUnrestrictedPtrace(t *testing.T) {
	runRuleCases(t, "apparmor/unrestricted-ptrace", []ruleCase{
		{"bare", prof("  ptrace,\n"), []int{4}},
		{"trace no peer", prof("  ptrace (trace),\n"), []int{4}},
		{"trace unconfined", prof("  ptrace (trace) peer=unconfined,\n"), []int{4}},
		{"trace any", prof("  ptrace trace peer=**,\n"), []int{4}},
		{"own profile", prof("  ptrace (trace,read,tracedby,readby) peer=test,\n"), nil},
		{"read only", prof("  ptrace (read),\n"), nil},
		{"tracedby", prof("  ptrace tracedby peer=unconfined,\n"), nil},
		{"denied", prof("  ptrace,\n  deny ptrace (trace),\n"), nil},
	})
}
