package seccomp

import (
	"os"
	"testing"
)

func TestBlocksContainerStart(t *testing.T) {
	// The seed's violation.json: everything denied.
	b, err := os.ReadFile("../../fixtures/seccomp/profiles/violation.json")
	if err != nil {
		t.Fatal(err)
	}
	expect(t, lintSrc(t, "", string(b)), "seccomp/blocks-container-start",
		"2:22-2:38 error ~ defaultAction denies execve, which runc/crun call right after installing the filter")

	expect(t, lintSrc(t, "", `{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [{"names": ["ptrace", "execve"], "action": "SCMP_ACT_KILL_PROCESS"}]
}`), "seccomp/blocks-container-start", "3:37-3:45 error ~ the rule at line 3 denies execve")

	expect(t, lintSrc(t, "", `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [{"names": ["execve"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "op": "SCMP_CMP_NE", "value": 0}]}]
}`), "seccomp/blocks-container-start", "3:16-3:122 warning ~ allowed only under argument conditions")

	expect(t, lintSrc(t, "", `{"defaultAction": "SCMP_ACT_TRACE"}`), "seccomp/blocks-container-start", "1:19-1:35 error ~ traces")
	for _, ok := range []string{
		`{"defaultAction": "SCMP_ACT_LOG"}`,
		`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["execve"], "action": "SCMP_ACT_ALLOW"}]}`,
		// runc skips a rule equal to the default, and the first unconditional rule wins.
		`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["execve"], "action": "SCMP_ACT_LOG"}, {"names": ["execve"], "action": "SCMP_ACT_KILL"}]}`,
	} {
		expect(t, lintSrc(t, "", ok), "seccomp/blocks-container-start")
	}
}
