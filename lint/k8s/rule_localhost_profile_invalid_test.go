package k8s

import "testing"

func TestLocalhostProfileInvalid(t *testing.T) {
	for _, tc := range []struct {
		path, msg string
	}{
		{"/var/lib/kubelet/seccomp/profiles/audit.json", "is an absolute path"},
		{"profiles/../../audit.json", `contains ".."`},
		{`""`, "type Localhost needs a localhostProfile"},
	} {
		fs := lintOne(t, podLocalhost(tc.path))
		expect(t, fs, RuleLocalhostProfileInvalid, want{"8:25", 0, tc.msg})
		expect(t, fs, RuleLocalhostProfileNotFound)
	}
	t.Run("missing localhostProfile", func(t *testing.T) {
		fs := lintOne(t, `apiVersion: v1
kind: Pod
spec:
  securityContext:
    appArmorProfile:
      type: Localhost
  containers:
  - name: app
    image: busybox
    securityContext:
      seccompProfile:
        type: RuntimeDefault
        localhostProfile: profiles/audit.json
`)
		expect(t, fs, RuleLocalhostProfileInvalid,
			want{"6:13", 0, "type Localhost needs a localhostProfile"},
			want{"13:27", 0, "is set but the type is RuntimeDefault"})
	})
	t.Run("annotations", func(t *testing.T) {
		fs := lintOne(t, `apiVersion: v1
kind: Pod
metadata:
  annotations:
    container.apparmor.security.beta.kubernetes.io/app: "localhost/"
    seccomp.security.alpha.kubernetes.io/pod: localhost//etc/audit.json
spec:
  containers:
  - name: app
    image: busybox
`)
		expect(t, fs, RuleLocalhostProfileInvalid,
			want{"5:57", 0, `"localhost/" names no profile`},
			want{"6:47", 0, "is an absolute path"})
	})
	t.Run("apparmor name padded", func(t *testing.T) {
		fs := lintOne(t, `apiVersion: v1
kind: Pod
spec:
  securityContext:
    appArmorProfile: {type: Localhost, localhostProfile: " deny-write"}
  containers:
  - name: app
    image: busybox
`)
		expect(t, fs, RuleLocalhostProfileInvalid, want{"5:58", 0, "padded with whitespace"})
	})
}
