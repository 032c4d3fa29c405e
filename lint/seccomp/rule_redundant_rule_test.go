package seccomp

import "testing"

func TestRedundantRule(t *testing.T) {
	expect(t, lintSrc(t, "", `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 1,
  "syscalls": [
    {"names": ["ptrace"], "action": "SCMP_ACT_ERRNO"},
    {"names": ["mount"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
    {"names": ["read"], "action": "SCMP_ACT_ALLOW"}
  ]
}`), "seccomp/redundant-rule", "5:37-5:53 warning ~ this rule's action SCMP_ACT_ERRNO(EPERM) is the default action")
	expect(t, lintSrc(t, "", `{"defaultAction": "SCMP_ACT_KILL", "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_KILL_THREAD"}]}`),
		"seccomp/redundant-rule", "1:81-1:103 warning")
}
