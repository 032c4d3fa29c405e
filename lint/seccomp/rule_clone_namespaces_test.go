package seccomp

import "testing"

func TestCloneNamespaces(t *testing.T) {
	src := `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["clone", "clone3"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_MASKED_EQ", "value": 2114060288, "valueTwo": 0}]},
    {"names": ["unshare"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_NE", "value": 0}]},
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}}
  ]
}`
	expect(t, lintSrc(t, Docker, src), "seccomp/clone-namespaces",
		"4:16-4:23 warning ~ clone is allowed whatever its flags",
		"4:25-4:33 warning ~ clone3 is allowed",
		"6:16-6:25 warning ~ unshare is allowed with argument conditions")
	// containerd drops includes: the CAP_SYS_ADMIN rule allows clone to everyone.
	expect(t, lintSrc(t, Containerd, src), "seccomp/clone-namespaces",
		"4:16-4:23 warning", "4:25-4:33 warning", "6:16-6:25 warning", "7:16-7:23 warning ~ clone is allowed")
}
