package seccomp

import "testing"

func TestRuntimeIgnoresField(t *testing.T) {
	src := `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrno": "ENOSYS",
  "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}],
  "syscalls": [
    {"name": "ptrace", "action": "SCMP_ACT_KILL_PROCESS"},
    {"names": ["bpf"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"names": ["chroot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_CHROOT"]}},
    {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
    {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errno": "EACCES", "comment": "fine everywhere"}
  ]
}`
	expect(t, lintSrc(t, Containerd, src), "seccomp/runtime-ignores-field",
		"3:3-3:17 warning ~ containerd (lint.runtime) decodes the profile into the runtime-spec type and drops defaultErrno: the default errno is EPERM, not ENOSYS",
		"4:3-4:12 warning ~ drops archMap: the filter covers the native architecture only",
		`6:6-6:12 error ~ drops the singular "name": this rule does not match ptrace, so dangerous ptrace stays allowed`,
		"7:52-7:62 error ~ drops includes (caps CAP_SYS_ADMIN): this rule then allows bpf to every container",
		"8:55-8:65 warning ~ drops includes (caps CAP_SYS_CHROOT): this SCMP_ACT_ALLOW rule applies to every container",
		"9:55-9:65 warning ~ drops includes (minKernel 4.8)",
		"10:54-10:61 warning ~ drops errno: the rule returns EPERM, not EACCES")
	expect(t, lintSrc(t, CRIO, src), "seccomp/runtime-ignores-field",
		"9:68-9:79 warning ~ cri-o (lint.runtime) (containers-common) ignores minKernel")
	expect(t, lintSrc(t, Docker, src), "seccomp/runtime-ignores-field",
		"3:3-3:17 warning ~ docker (lint.runtime) ignores defaultErrno",
		"10:54-10:61 warning ~ ignores errno")
}

func TestRuntimeIgnoresFieldSPO(t *testing.T) {
	src := `apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: guarded
spec:
  defaultAction: SCMP_ACT_ERRNO
  syscalls:
    - action: SCMP_ACT_ALLOW
      names: [execve, exit_group, bpf]
      includes:
        caps: [CAP_SYS_ADMIN]
`
	for _, rt := range []Runtime{Containerd, CRIO, Docker} {
		expect(t, lintSrc(t, rt, src), "seccomp/runtime-ignores-field",
			"10:7-10:15 error ~ SeccompProfile guarded: the SeccompProfile CRD does not declare, so the API server prunes includes (caps CAP_SYS_ADMIN): this rule then allows bpf to every container")
	}
}
