package seccomp

import "testing"

func TestLogByDefault(t *testing.T) {
	expect(t, lintSrc(t, "", "{\n    \"defaultAction\": \"SCMP_ACT_LOG\"\n}\n"), "seccomp/log-by-default", "2:22-2:36 warning ~ audit mode")
	expect(t, lintSrc(t, "", `{"defaultAction": "SCMP_ACT_ERRNO"}`), "seccomp/log-by-default")
	// SPO objects are checked the same way, at the spec's position.
	fs := lintSrc(t, "", `apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: audit
spec:
  defaultAction: SCMP_ACT_LOG
`)
	expect(t, fs, "seccomp/log-by-default", "6:18-6:30 warning ~ SeccompProfile audit: defaultAction")
}
