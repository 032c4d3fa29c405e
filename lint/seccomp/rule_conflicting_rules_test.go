package seccomp

import "testing"

func TestConflictingRules(t *testing.T) {
	fs := lintSrc(t, "", `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["read", "ptrace"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["ptrace"], "action": "SCMP_ACT_KILL_PROCESS"},
    {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_EQ", "value": 1}]},
    {"names": ["socket"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "op": "SCMP_CMP_EQ", "value": 1}]},
    {"names": ["read"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "op": "SCMP_CMP_EQ", "value": 0}]}
  ]
}`)
	expect(t, fs, "seccomp/conflicting-rules",
		"5:16-5:24 error ~ ptrace is listed at line 4 with action SCMP_ACT_ALLOW, here SCMP_ACT_KILL_PROCESS: libseccomp silently keeps the first",
		"7:16-7:24 error ~ libseccomp refuses the second rule (EEXIST)",
		"8:16-8:22 warning ~ read also has an unconditional rule at line 4 (SCMP_ACT_ALLOW)")
	// Rules for containers with and without a capability do not conflict.
	expect(t, lintSrc(t, Docker, `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
    {"names": ["bpf"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_ADMIN"]}}]}`), "seccomp/conflicting-rules")
}
