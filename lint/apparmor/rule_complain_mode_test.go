package apparmor

import (
	"testing"

	"github.com/secprof/secprof/lint"
)

func TestComplainMode(t *testing.T) {
	runRuleCases(t, "apparmor/complain-mode", []ruleCase{
		{"enforce", "profile a { include <abstractions/base> }\n", nil},
		{"complain", "profile a flags=(complain) { include <abstractions/base> }\n", []int{1}},
		{"unconfined and attach", "profile a flags=(attach_disconnected,unconfined) { include <abstractions/base> }\n", []int{1}},
		{"kill", "profile a flags=(kill) { include <abstractions/base> }\n", []int{1}},
		{"hat in complain", "profile a {\n  include <abstractions/base>\n  ^h flags=(complain) { }\n}\n", []int{3}},
		{"attach_disconnected only", "profile a flags=(attach_disconnected) { include <abstractions/base> }\n", nil},
	})
	fs := lintPolicy(t, "include <tunables/global>\nprofile a flags=(kill) { include <abstractions/base> }\n")
	if len(fs) != 1 || fs[0].Severity != lint.Info {
		t.Errorf("kill mode should be info: %v", fs)
	}
}
