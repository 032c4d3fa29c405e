package seccomp

import "testing"

func TestDeniesExit(t *testing.T) {
	expect(t, lintSrc(t, "", `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [{"names": ["execve", "exit"], "action": "SCMP_ACT_ALLOW"}]
}`), "seccomp/denies-exit", "2:20-2:36 error ~ defaultAction makes exit_group fail with EPERM")
	expect(t, lintSrc(t, "", `{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [{"names": ["exit_group", "exit"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]
}`), "seccomp/denies-exit",
		"3:27-3:39 error ~ the rule at line 3 makes exit_group fail with ENOSYS",
		"3:41-3:47 error ~ makes exit fail")
	// Killing on exit ends the process anyway.
	expect(t, lintSrc(t, "", `{"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": [{"names": ["execve"], "action": "SCMP_ACT_ALLOW"}]}`), "seccomp/denies-exit")
}
