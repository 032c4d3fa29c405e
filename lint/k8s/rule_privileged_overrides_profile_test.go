package k8s

import (
	"testing"

	"github.com/secprof/secprof/lint"
)

func TestPrivilegedOverridesProfile(t *testing.T) {
	t.Run("container field", func(t *testing.T) {
		fs := lintOne(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: app
    image: busybox
    securityContext:
      privileged: true
      seccompProfile: {type: RuntimeDefault}
`)
		expect(t, fs, RulePrivilegedOverridesProfile, want{"10:30", lint.Error, "run seccomp Unconfined whatever the profile"})
	})
	t.Run("inherited from the pod points at privileged", func(t *testing.T) {
		fs := lintOne(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext:
    seccompProfile: {type: RuntimeDefault}
    appArmorProfile: {type: Localhost, localhostProfile: k8s-apparmor-example-deny-write}
  containers:
  - name: ok
    image: busybox
  - name: priv
    image: busybox
    securityContext: {privileged: true}
`)
		expect(t, fs, RulePrivilegedOverridesProfile,
			want{"13:35", lint.Warning, "containerd still applies a Localhost one"},
			want{"13:35", lint.Error, `the pod's spec.securityContext.seccompProfile (RuntimeDefault, line 6) does not apply`})
	})
	t.Run("annotations", func(t *testing.T) {
		fs := lintOne(t, `apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    container.apparmor.security.beta.kubernetes.io/app: runtime/default
    container.seccomp.security.alpha.kubernetes.io/app: localhost/profiles/audit.json
spec:
  containers:
  - name: app
    image: busybox
    securityContext:
      privileged: yes
`)
		expect(t, fs, RulePrivilegedOverridesProfile,
			want{"6:57", lint.Error, "runtime's default AppArmor profile is not applied"},
			want{"7:57", lint.Error, "seccomp Unconfined"})
	})
	t.Run("consistent or not privileged", func(t *testing.T) {
		fs := lintOne(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext:
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: priv
    image: busybox
    securityContext:
      privileged: true
      seccompProfile: {type: Unconfined}
      appArmorProfile: {type: Unconfined}
  - name: quoted
    image: busybox
    securityContext:
      privileged: "true"
  - name: plain
    image: busybox
    securityContext:
      privileged: false
`)
		expect(t, fs, RulePrivilegedOverridesProfile)
	})
}
