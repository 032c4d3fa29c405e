package seccomp

import "testing"

func TestClone3Errno(t *testing.T) {
	expect(t, lintSrc(t, "", `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]
}`), "seccomp/clone3-errno", "3:78-3:80 error ~ clone3 is denied with EACCES")
	expect(t, lintSrc(t, "", `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [{"names": ["execve"], "action": "SCMP_ACT_ALLOW"}]
}`), "seccomp/clone3-errno", "2:20-2:36 warning ~ clone3 is not listed, so defaultAction denies it with EPERM")
	for _, ok := range []string{
		`{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38}`,
		`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}`,
		`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["clone3"], "action": "SCMP_ACT_ALLOW"}]}`,
		`{"defaultAction": "SCMP_ACT_ALLOW"}`,
	} {
		expect(t, lintSrc(t, "", ok), "seccomp/clone3-errno")
	}
	// containers-common's defaultErrno counts only where CRI-O reads it.
	src := `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "ENOSYS"}`
	expect(t, lintSrc(t, CRIO, src), "seccomp/clone3-errno")
	expect(t, lintSrc(t, Containerd, src), "seccomp/clone3-errno", "1:19-1:35 warning")
}
