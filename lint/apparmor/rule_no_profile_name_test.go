package apparmor

import "testing"

func TestNoProfileName(t *testing.T) {
	runRuleCases(t, "apparmor/no-profile-name", []ruleCase{
		{"named", prof(""), nil},
		{"named with attachment", "profile app /usr/bin/app {\n  include <abstractions/base>\n}\n", nil},
		{"path", "/usr/bin/app {\n  include <abstractions/base>\n}\n", []int{1}},
		{"namespace", ":ns:app {\n  include <abstractions/base>\n}\n", []int{1}},
		{"variable", "include <tunables/global>\nprofile @{HOME}/x {\n  include <abstractions/base>\n}\n", []int{2}},
		{"quoted blank", "profile \"my app\" {\n  include <abstractions/base>\n}\n", []int{1}},
		{"child names are fine", "profile a {\n  include <abstractions/base>\n  profile /bin/b { }\n}\n", nil},
	})
}
