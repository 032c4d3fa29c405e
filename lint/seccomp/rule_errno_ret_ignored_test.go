package seccomp

import "testing"

func TestErrnoRetIgnored(t *testing.T) {
	fs := lintSrc(t, "", `{
  "defaultAction": "SCMP_ACT_KILL_PROCESS",
  "defaultErrnoRet": 1,
  "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1},
    {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
    {"names": ["ptrace"], "action": "SCMP_ACT_TRACE", "errnoRet": 5}
  ]
}`)
	expect(t, fs, "seccomp/errno-ret-ignored",
		"3:3-3:20 warning ~ defaultErrnoRet 1 has no effect",
		"5:53-5:63 warning ~ SCMP_ACT_ALLOW")
}
