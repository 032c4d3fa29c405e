package k8s

import "testing"

const podAppArmor = `apiVersion: v1
kind: Pod
metadata:
  name: hello-apparmor
  annotations:
    container.apparmor.security.beta.kubernetes.io/side: localhost/%s
spec:
  containers:
  - name: hello
    image: busybox
    securityContext:
      appArmorProfile: {type: Localhost, localhostProfile: %s}
  - name: side
    image: busybox
`

func podAA(annotation, field string) string {
	return replaceOnce(replaceOnce(podAppArmor, "%s", annotation), "%s", field)
}

func TestAppArmorProfileNotFound(t *testing.T) {
	t.Run("defined", func(t *testing.T) {
		expect(t, lintOne(t, podAA("k8s-apparmor-example-deny-write", "k8s-apparmor-example-deny-write")), RuleAppArmorProfileNotFound)
	})
	t.Run("file name is not the profile name", func(t *testing.T) {
		expect(t, lintOne(t, podAA("k8s-apparmor-example-allow-write", "k8s-deny-write")), RuleAppArmorProfileNotFound,
			want{"6:58", 0, `no file of the AppArmor directory apparmor defines a profile named "k8s-apparmor-example-allow-write"`},
			want{"12:60", 0, `a file called k8s-deny-write exists but defines "k8s-apparmor-example-deny-write": Kubernetes matches the profile name, not the file name`})
	})
	t.Run("child profiles and nested directories", func(t *testing.T) {
		w := newWorkspace(t, defaultConfig)
		w.Write("apparmor/sub/nested", "profile outer {\n  profile inner {\n  }\n}\n")
		w.Write("pod.yaml", podAA("outer//inner", "outer"))
		expect(t, w.Lint(New(), "pod.yaml"), RuleAppArmorProfileNotFound)
	})
	t.Run("a file with syntax errors still defines what parses", func(t *testing.T) {
		w := newWorkspace(t, defaultConfig)
		w.Write("apparmor/broken", "profile good {\n  file,\n}\nprofile bad {\n  this is not a rule\n")
		w.Write("pod.yaml", podAA("good", "good"))
		expect(t, w.Lint(New(), "pod.yaml"), RuleAppArmorProfileNotFound)
	})
	t.Run("not configured", func(t *testing.T) {
		w := newWorkspace(t, "profiles: {seccomp: seccomp}\n")
		w.Write("pod.yaml", podAA("nope", "nope"))
		expect(t, w.Lint(New(), "pod.yaml"), RuleAppArmorProfileNotFound)
	})
	t.Run("directory missing", func(t *testing.T) {
		w := newWorkspace(t, "profiles: {apparmor: nowhere}\n")
		w.Write("pod.yaml", podAA("k8s-apparmor-example-deny-write", "k8s-apparmor-example-deny-write"))
		expect(t, w.Lint(New(), "pod.yaml"), RuleAppArmorProfileNotFound,
			want{"6:58", 0, "the AppArmor directory nowhere (profiles.apparmor) does not exist"},
			want{"12:60", 0, "does not exist"})
	})
	t.Run("custom namer", func(t *testing.T) {
		w := newWorkspace(t, defaultConfig)
		w.Write("pod.yaml", podAA("x", "y"))
		named := func([]byte) ([]string, error) { return []string{"x", "y"}, nil }
		expect(t, w.Lint(New(WithProfileNamer(named)), "pod.yaml"), RuleAppArmorProfileNotFound)
	})
}
