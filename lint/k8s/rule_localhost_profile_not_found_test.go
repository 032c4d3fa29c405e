package k8s

import (
	"os"
	"path/filepath"
	"testing"
)

const podWithLocalhost = `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext:
    seccompProfile:
      type: Localhost
      localhostProfile: %s
  containers:
  - name: app
    image: busybox
`

func podLocalhost(p string) string {
	return replaceOnce(podWithLocalhost, "%s", p)
}

func replaceOnce(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	return s
}

func TestLocalhostProfileNotFound(t *testing.T) {
	t.Run("kubelet root layout", func(t *testing.T) {
		expect(t, lintOne(t, podLocalhost("profiles/audit.json")), RuleLocalhostProfileNotFound)
		expect(t, lintOne(t, podLocalhost("./profiles//fine-grained.json")), RuleLocalhostProfileNotFound)
	})
	t.Run("mounted at profiles/ layout", func(t *testing.T) {
		w := newWorkspace(t, "profiles:\n  seccomp: seccomp/profiles\n")
		w.Write("pod.yaml", podLocalhost("profiles/violation.json"))
		expect(t, w.Lint(New(), "pod.yaml"), RuleLocalhostProfileNotFound)
	})
	t.Run("missing", func(t *testing.T) {
		expect(t, lintOne(t, podLocalhost("profiles/fine.json")), RuleLocalhostProfileNotFound,
			want{"8:25", 0, `"profiles/fine.json" is not in the seccomp profiles directory seccomp (looked for seccomp/profiles/fine.json, seccomp/fine.json)`})
	})
	t.Run("a directory is no profile", func(t *testing.T) {
		expect(t, lintOne(t, podLocalhost("profiles")), RuleLocalhostProfileNotFound, want{"8:25", 0, "looked for seccomp/profiles"})
	})
	t.Run("alpha annotation", func(t *testing.T) {
		fs := lintOne(t, `apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    seccomp.security.alpha.kubernetes.io/pod: localhost/profiles/nope.json
spec:
  containers:
  - name: app
    image: busybox
`)
		expect(t, fs, RuleLocalhostProfileNotFound, want{"6:47", 0, "annotation seccomp.security.alpha.kubernetes.io/pod"})
	})
	t.Run("not configured", func(t *testing.T) {
		w := newWorkspace(t, "lint: {}\n")
		w.Write("pod.yaml", podLocalhost("profiles/nope.json"))
		expect(t, w.Lint(New(), "pod.yaml"), RuleLocalhostProfileNotFound)
	})
	t.Run("directory missing", func(t *testing.T) {
		w := newWorkspace(t, "profiles:\n  seccomp: nowhere\n")
		w.Write("pod.yaml", podLocalhost("profiles/audit.json"))
		expect(t, w.Lint(New(), "pod.yaml"), RuleLocalhostProfileNotFound, want{"8:25", 0, "the seccomp profiles directory nowhere (profiles.seccomp) does not exist"})
	})
	t.Run("directory outside the workspace is not read", func(t *testing.T) {
		w := newWorkspace(t, "profiles:\n  seccomp: ../elsewhere\n")
		w.Write("pod.yaml", podLocalhost("profiles/nope.json"))
		expect(t, w.Lint(New(), "pod.yaml"), RuleLocalhostProfileNotFound)
	})
	t.Run("link out of the workspace", func(t *testing.T) {
		w := newWorkspace(t, defaultConfig)
		outside := t.TempDir()
		if err := os.WriteFile(filepath.Join(outside, "x.json"), []byte(`{"defaultAction":"SCMP_ACT_ALLOW"}`), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(outside, "x.json"), filepath.Join(w.Root, "seccomp/profiles/x.json")); err != nil {
			t.Fatal(err)
		}
		w.Write("pod.yaml", podLocalhost("profiles/x.json"))
		expect(t, w.Lint(New(), "pod.yaml"), RuleLocalhostProfileNotFound, want{"8:25", 0, "seccomp/profiles/x.json is a link that leads out of the workspace"})
	})
	t.Run("SPO operator path", func(t *testing.T) {
		w := newWorkspace(t, defaultConfig)
		w.Write("spo.yaml", `apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: echo
  namespace: apps
spec:
  defaultAction: SCMP_ACT_ERRNO
`)
		w.Write("good.yaml", podLocalhost("operator/apps/echo.json"))
		w.Write("bad.yaml", podLocalhost("operator/apps/other.json"))
		// The SPO file is not a manifest: only the run's detected files
		// are known, so lint it with a checker that detects it.
		fs := w.Lint(withSPO{New()}, "spo.yaml", "good.yaml", "bad.yaml")
		expect(t, fs, RuleLocalhostProfileNotFound, want{"8:25", 0, `installs SeccompProfile "other" of namespace "apps"`})
	})
}
