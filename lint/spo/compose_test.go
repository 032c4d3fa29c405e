package spo

import (
	"strings"
	"testing"

	"github.com/secprof/secprof/lint/linttest"
)

func TestComposition(t *testing.T) {
	w := newWorkspace(t)
	w.Write("base.yaml", `apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata: {name: base}
spec:
  defaultAction: SCMP_ACT_ALLOW
  syscalls:
  - action: SCMP_ACT_ERRNO
    names: [ptrace]
  - action: SCMP_ACT_TRAP
    names: [personality]
`)
	w.Write("app.yaml", `apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata: {name: app}
spec:
  defaultAction: SCMP_ACT_ERRNO
  baseProfileName: base
  syscalls:
  - action: SCMP_ACT_ALLOW
    names: [execve, exit_group, read]
  - action: SCMP_ACT_ALLOW
    names: [personality]
    args: [{index: 0, value: 0, op: SCMP_CMP_EQ}]
`)
	fs := w.lint(offline(t))
	// Composed, the base's ERRNO rules equal the app's default action: a
	// finding in base.yaml that base.yaml alone does not have.
	expect(t, fs, "seccomp/redundant-rule",
		want{"base.yaml:7:13", "SeccompProfile app: this rule's action SCMP_ACT_ERRNO(EPERM) is the default action"})
	// Composed, exit is missing: the app alone names a base, so the
	// seccomp checker does not judge its completeness; the composition
	// does, at the app's defaultAction.
	expect(t, fs, "seccomp/denies-exit", want{"app.yaml:5:18", "(in the profile the operator composes for SeccompProfile app: app → base)"})
	// The app's conditional personality rule meets the base's
	// unconditional one: the reference names the base's file.
	for _, f := range linttest.Only(fs, "seccomp/conflicting-rules") {
		if f.File != "app.yaml" || !strings.Contains(f.Message, "line 10 of base.yaml") {
			t.Errorf("conflict: %s", f)
		}
	}
	if len(linttest.Only(fs, "seccomp/conflicting-rules")) != 1 {
		t.Errorf("want one conflicting-rules finding:\n%s", linttest.Render(fs))
	}
}

func TestCompositionRemoteAnchorsAtBaseProfileName(t *testing.T) {
	reg := startRegistry(t)
	d := reg.push("sp/deny", "v1", []layerFile{{name: "profile.yaml", content: `apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata: {name: deny}
spec:
  defaultAction: SCMP_ACT_ALLOW
  syscalls:
  - action: SCMP_ACT_ERRNO
    names: [ptrace]
`}}, "")
	w := newWorkspace(t)
	w.Write("app.yaml", `apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata: {name: app}
spec:
  defaultAction: SCMP_ACT_ERRNO
  baseProfileName: `+reg.ref("sp/deny@"+d.String())+`
  syscalls:
  - action: SCMP_ACT_ALLOW
    names: [execve, exit_group, read]
`)
	c := New(WithPuller(newTestPuller(t)))
	fs := w.lint(c)
	expect(t, fs, "seccomp/redundant-rule", want{"app.yaml:6:20", "in base profile " + reg.ref("sp/deny@"+d.String()) + "@" + d.String() + " at 7:13: "})
	expect(t, fs, RuleUnpinnedBaseProfile)
	expect(t, fs, RuleBaseProfileNotFound)
}
