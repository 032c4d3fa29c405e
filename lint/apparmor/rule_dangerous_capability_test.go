package apparmor

import (
	"testing"

	"github.com/secprof/secprof/lint"
)

func TestDangerousCapability(t *testing.T) {
	runRuleCases(t, "apparmor/dangerous-capability", []ruleCase{
		{"harmless", prof("  capability chown setuid setgid net_bind_service,\n"), nil},
		{"sys_admin", prof("  capability sys_admin,\n"), []int{4}},
		{"two on one line", prof("  capability sys_module net_admin,\n"), []int{4, 4}},
		{"denied", prof("  capability sys_admin,\n  deny capability sys_admin,\n"), nil},
		{"denied in block", prof("  capability sys_ptrace,\n  audit deny capability sys_ptrace,\n"), nil},
		{"deny rule itself", prof("  deny capability sys_admin,\n"), nil},
	})
	fs := lintPolicy(t, prof("  capability sys_admin perfmon,\n"))
	sev := map[string]lint.Severity{}
	for _, f := range fs {
		if f.Rule == "apparmor/dangerous-capability" {
			sev[f.Message] = f.Severity
		}
	}
	var errs, warns int
	for _, s := range sev {
		switch s {
		case lint.Error:
			errs++
		case lint.Warning:
			warns++
		}
	}
	if errs != 1 || warns != 1 {
		t.Errorf("sys_admin should be an error and perfmon a warning: %v", fs)
	}
}
