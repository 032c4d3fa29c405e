package k8s

import (
	"testing"

	"github.com/secprof/secprof/lint/linttest"
)

func TestAppArmorAnnotationUnknownContainer(t *testing.T) {
	fs := lintOne(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata:
      annotations:
        container.apparmor.security.beta.kubernetes.io/ngnix: runtime/default
        container.apparmor.security.beta.kubernetes.io/nginx: runtime/default
        container.apparmor.security.beta.kubernetes.io/setup: runtime/default
        container.apparmor.security.beta.kubernetes.io/zzzzzzzz: runtime/default
    spec:
      initContainers:
      - name: setup
        image: busybox
      containers:
      - name: nginx
        image: nginx
`)
	expect(t, fs, RuleAppArmorAnnotationUnknownContainer,
		want{"8:9", 0, `names container "ngnix", which Deployment "web" does not have (its containers are "nginx", "setup")`},
		want{"11:9", 0, `"zzzzzzzz"`})
	got := linttest.Only(fs, RuleAppArmorAnnotationUnknownContainer)
	if got[0].Fix != "did you mean container.apparmor.security.beta.kubernetes.io/nginx?" || got[1].Fix != "" {
		t.Errorf("fixes: %q, %q", got[0].Fix, got[1].Fix)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"nginx", "ngnix", 2}, {"hello", "helo", 1}, {"", "abc", 3}, {"same", "same", 0}, {"a", "abcdef", 3},
	} {
		if got := editDistance(tc.a, tc.b, 3); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
