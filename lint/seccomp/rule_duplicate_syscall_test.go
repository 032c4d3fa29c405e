package seccomp

import "testing"

func TestDuplicateSyscall(t *testing.T) {
	fs := lintSrc(t, "", `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["read", "write", "read"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["write"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["write"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_EQ", "value": 1}]}
  ]
}`)
	expect(t, fs, "seccomp/duplicate-syscall",
		"4:33-4:39 warning ~ read is already listed at line 4",
		"5:16-5:23 warning ~ write is already listed at line 4")
}
