package seccomp

import "testing"

func TestAllowByDefault(t *testing.T) {
	fs := lintSrc(t, "", `{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO"}]
}`)
	expect(t, fs, "seccomp/allow-by-default", "2:20-2:36 warning ~ deny list")
	expect(t, lintSrc(t, "", `{"defaultAction": "SCMP_ACT_ERRNO"}`), "seccomp/allow-by-default")
}
