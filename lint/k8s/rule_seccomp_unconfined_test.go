package k8s

import "testing"

func TestSeccompUnconfined(t *testing.T) {
	fs := lintOne(t, `apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    seccomp.security.alpha.kubernetes.io/pod: unconfined
    container.seccomp.security.alpha.kubernetes.io/ghost: unconfined
spec:
  securityContext:
    seccompProfile:
      type: Unconfined
  containers:
  - name: app
    image: busybox
    securityContext:
      seccompProfile: {type: "Unconfined"}
  - name: fine
    image: busybox
    securityContext:
      seccompProfile: {type: RuntimeDefault}
`)
	expect(t, fs, RuleSeccompUnconfined,
		want{"6:47", 0, `annotation seccomp.security.alpha.kubernetes.io/pod is Unconfined: every container of Pod "p"`},
		want{"11:13", 0, "spec.securityContext.seccompProfile is Unconfined"},
		want{"16:30", 0, `container "app" securityContext.seccompProfile is Unconfined: the container runs without seccomp`})
}
