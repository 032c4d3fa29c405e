package k8s

import (
	"testing"

	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/linttest"
)

func TestDeprecatedAnnotation(t *testing.T) {
	t.Run("alone", func(t *testing.T) {
		fs := lintOne(t, `apiVersion: v1
kind: Pod
metadata:
  annotations:
    seccomp.security.alpha.kubernetes.io/pod: runtime/default
    container.apparmor.security.beta.kubernetes.io/app: localhost/k8s-apparmor-example-deny-write
spec:
  containers:
  - name: app
    image: busybox
`)
		expect(t, fs, RuleDeprecatedAnnotation,
			want{"5:5", lint.Warning, "deprecated since Kubernetes v1.19 and ignored since v1.27; use spec.securityContext.seccompProfile (GA since v1.19)"},
			want{"6:5", lint.Warning, `deprecated since Kubernetes v1.30; use securityContext.appArmorProfile of container "app" (since v1.30; AppArmor is GA since v1.31)`})
		got := linttest.Only(fs, RuleDeprecatedAnnotation)
		if got[0].Fix != "spec.securityContext.seccompProfile: {type: RuntimeDefault}" {
			t.Errorf("fix %q", got[0].Fix)
		}
		if got[1].Fix != "containers[name=app].securityContext.appArmorProfile: {type: Localhost, localhostProfile: k8s-apparmor-example-deny-write}" {
			t.Errorf("fix %q", got[1].Fix)
		}
	})
	t.Run("agreeing with the field", func(t *testing.T) {
		fs := lintOne(t, `apiVersion: v1
kind: Pod
metadata:
  annotations:
    seccomp.security.alpha.kubernetes.io/pod: docker/default
spec:
  securityContext:
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: app
    image: busybox
`)
		expect(t, fs, RuleDeprecatedAnnotation, want{"5:5", lint.Warning, "already says the same: remove the annotation"})
	})
	t.Run("disagreeing with the field", func(t *testing.T) {
		fs := lintOne(t, `apiVersion: v1
kind: Pod
metadata:
  annotations:
    container.seccomp.security.alpha.kubernetes.io/app: localhost/profiles/audit.json
    container.apparmor.security.beta.kubernetes.io/app: runtime/default
spec:
  securityContext:
    seccompProfile: {type: Localhost, localhostProfile: profiles/audit.json}
    appArmorProfile: {type: RuntimeDefault}
  containers:
  - name: app
    image: busybox
    securityContext:
      seccompProfile: {type: Localhost, localhostProfile: profiles/violation.json}
`)
		expect(t, fs, RuleDeprecatedAnnotation,
			want{"5:57", lint.Error, `says Localhost profiles/audit.json but container "app" securityContext.seccompProfile (line 15) says Localhost profiles/violation.json`},
			want{"6:5", lint.Warning, "already says the same"})
	})
	t.Run("on the controller's own metadata", func(t *testing.T) {
		fs := lintOne(t, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    container.apparmor.security.beta.kubernetes.io/web: runtime/default
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx
`)
		expect(t, fs, RuleDeprecatedAnnotation, want{"6:5", lint.Error, "is on the Deployment itself, not on its pod template: it reaches no pod"})
	})
}
