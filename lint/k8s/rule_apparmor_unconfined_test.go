package k8s

import "testing"

func TestAppArmorUnconfined(t *testing.T) {
	fs := lintOne(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    metadata:
      annotations:
        container.apparmor.security.beta.kubernetes.io/side: unconfined
    spec:
      securityContext:
        appArmorProfile: {type: Unconfined}
      containers:
      - name: app
        image: busybox
      - name: side
        image: busybox
        securityContext:
          appArmorProfile: {type: RuntimeDefault}
`)
	expect(t, fs, RuleAppArmorUnconfined,
		want{"8:62", 0, `container "side" runs without AppArmor`},
		want{"11:33", 0, `every container of Deployment "d" runs without AppArmor`})
}
