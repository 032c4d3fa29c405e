package k8s

import "testing"

func TestSeccompMissing(t *testing.T) {
	t.Run("per container", func(t *testing.T) {
		fs := lintOne(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - name: init
    image: busybox
  containers:
  - name: app
    image: busybox
  - name: own
    image: busybox
    securityContext:
      seccompProfile: {type: RuntimeDefault}
  ephemeralContainers:
  - name: debug
    image: busybox
`)
		expect(t, fs, RuleSeccompMissing,
			want{"6:11", 0, `init container "init" of Pod "p" has no seccompProfile`},
			want{"9:11", 0, `container "app"`},
			want{"16:11", 0, `ephemeral container "debug"`})
	})
	t.Run("pod level covers all", func(t *testing.T) {
		fs := lintOne(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext:
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: app
    image: busybox
`)
		expect(t, fs, RuleSeccompMissing)
	})
	t.Run("annotation only", func(t *testing.T) {
		fs := lintOne(t, `apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    container.seccomp.security.alpha.kubernetes.io/app: runtime/default
spec:
  containers:
  - name: app
    image: busybox
`)
		expect(t, fs, RuleSeccompMissing, want{"9:11", 0, "container.seccomp.security.alpha.kubernetes.io/app (line 6) is ignored since Kubernetes v1.27"})
	})
	t.Run("windows", func(t *testing.T) {
		fs := lintOne(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  os: {name: windows}
  containers:
  - name: app
    image: mcr.microsoft.com/windows/nanoserver
`)
		expect(t, fs, RuleSeccompMissing)
		expect(t, fs, RuleAllowPrivilegeEscalation)
	})
	t.Run("unnamed container", func(t *testing.T) {
		fs := lintOne(t, "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: busybox\n")
		expect(t, fs, RuleSeccompMissing, want{"5:5", 0, "container #1 of Pod has no seccompProfile"})
	})
}
