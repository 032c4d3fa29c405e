package k8s

import "testing"

func TestProfileTypeInvalid(t *testing.T) {
	fs := lintOne(t, `apiVersion: v1
kind: Pod
metadata:
  annotations:
    container.apparmor.security.beta.kubernetes.io/app: docker/default
    seccomp.security.alpha.kubernetes.io/pod: docker/default
    container.seccomp.security.alpha.kubernetes.io/app: localhost
spec:
  securityContext:
    seccompProfile:
      localhostProfile: profiles/audit.json
  containers:
  - name: app
    image: busybox
    securityContext:
      seccompProfile: {type: runtimedefault}
      appArmorProfile: {type: [RuntimeDefault]}
`)
	expect(t, fs, RuleProfileTypeInvalid,
		want{"5:57", 0, `"docker/default" is not a valid value; it must be runtime/default, localhost/<profile name> or unconfined`},
		want{"7:57", 0, `"localhost" is not a valid value`},
		want{"10:5", 0, "spec.securityContext.seccompProfile has no type"},
		want{"16:30", 0, `type "runtimedefault" is not RuntimeDefault, Localhost or Unconfined`},
		want{"17:31", 0, "must be RuntimeDefault, Localhost or Unconfined, not a list or map"})
}
