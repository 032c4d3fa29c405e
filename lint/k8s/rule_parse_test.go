package k8s

import "testing"

func TestParse(t *testing.T) {
	// The first document is checked; the syntax error in the second is
	// reported where it is.
	fs := lintOne(t, `apiVersion: v1
kind: Pod
metadata: {name: first}
spec:
  containers:
  - name: app
    image: busybox
---
apiVersion: v1
kind: Pod
metadata: {name: second
spec: {}
`)
	expect(t, fs, RuleParse, want{"11:1", 0, "invalid YAML: did not find expected ',' or '}'"})
	expect(t, fs, RuleSeccompMissing, want{"6:11", 0, `Pod "first"`})
}
