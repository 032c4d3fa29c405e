package seccomp

import "testing"

func TestUnknownSyscall(t *testing.T) {
	fs := lintSrc(t, "", `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86_64"],
  "syscalls": [
    {"names": ["read", "wirte", "épée"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["ptrce"], "action": "SCMP_ACT_KILL"},
    {"names": ["arm_fadvise64_64"], "action": "SCMP_ACT_ALLOW"},
    {"name": "clos", "action": "SCMP_ACT_ALLOW"}
  ]
}`)
	expect(t, fs, "seccomp/unknown-syscall",
		`5:24-5:31 error ~ unknown syscall "wirte": runtimes skip it silently, so the workload will be denied the call it needs (did you mean "write"?)`,
		`5:33-5:39 error ~ unknown syscall "épée"`,
		`6:16-6:23 error ~ the call it meant to deny stays allowed (did you mean "ptrace"?)`,
		`7:16-7:34 info ~ does not exist on X86_64`,
		`8:14-8:20 error ~ (did you mean "close"?)`)
	for _, f := range fs {
		if f.Rule == "seccomp/unknown-syscall" && f.Line == 5 && f.Column == 24 && f.Fix != `use "write"` {
			t.Errorf("fix = %q", f.Fix)
		}
	}
}
