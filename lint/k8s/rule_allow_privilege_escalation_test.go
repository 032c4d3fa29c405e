package k8s

import (
	"testing"

	"github.com/secprof/secprof/lint"
)

func TestAllowPrivilegeEscalation(t *testing.T) {
	fs := lintOne(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext:
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: unset
    image: busybox
  - name: allowed
    image: busybox
    securityContext: {allowPrivilegeEscalation: true}
  - name: good
    image: busybox
    securityContext: {allowPrivilegeEscalation: false}
  - name: priv
    image: busybox
    securityContext:
      allowPrivilegeEscalation: false
      privileged: true
  - name: sysadmin
    image: busybox
    securityContext:
      allowPrivilegeEscalation: off
      capabilities:
        add: [NET_ADMIN, CAP_SYS_ADMIN]
`)
	expect(t, fs, RuleAllowPrivilegeEscalation,
		want{"8:11", lint.Warning, `container "unset" does not set securityContext.allowPrivilegeEscalation: false`},
		want{"12:49", lint.Error, `container "allowed" sets allowPrivilegeEscalation: true`},
		want{"19:33", lint.Error, "and privileged: true (line 20): the API server rejects the pod"},
		want{"24:33", lint.Error, "adds CAP_SYS_ADMIN (line 26)"})
}
