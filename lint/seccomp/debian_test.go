package seccomp

import (
	"os"
	"strings"
	"testing"

	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/linttest"
)

// debianProfile is containers-common's default profile, shipped by Debian's
// golang-github-containers-common package: Docker's default profile plus
// the containers-common extensions.
const debianProfile = "/usr/share/containers/seccomp.json"

func lintDebian(t *testing.T, rt Runtime) []lint.Finding {
	t.Helper()
	b, err := os.ReadFile(debianProfile)
	if os.IsNotExist(err) {
		t.Skipf("%s is absent: install Debian's golang-github-containers-common to run this test", debianProfile)
	}
	if err != nil {
		t.Fatal(err)
	}
	return linttest.Lint(t, New(), cfgFor(rt), "seccomp.json", string(b))
}

// Loaded by a runtime that honours its conditions, the default profile has
// nothing wrong enough to be an error.
func TestDebianProfileHonoured(t *testing.T) {
	for _, rt := range []Runtime{CRIO, Docker} {
		t.Run(string(rt), func(t *testing.T) {
			fs := lintDebian(t, rt)
			for _, f := range fs {
				if f.Severity == lint.Error {
					t.Errorf("error-level finding: %s", f)
				}
				if f.Rule == "seccomp/runtime-ignores-field" {
					t.Errorf("%s honours every field this profile uses: %s", rt, f)
				}
			}
			if !linttest.HasRule(fs, "seccomp/dangerous-syscall") {
				t.Error("containers-common allows unshare, mount, keyctl, … unconditionally: expected dangerous-syscall warnings")
			}
		})
	}
}

// Mounted as a Localhost profile under containerd, its capability-guarded
// rules lose their guard: exactly the rules allowing dangerous syscalls to
// CAP_SYS_ADMIN holders (bpf, perf_event_open, …) become errors.
func TestDebianProfileContainerd(t *testing.T) {
	fs := lintDebian(t, Containerd)
	sysAdmin := false
	for _, f := range fs {
		if f.Severity != lint.Error {
			continue
		}
		if f.Rule != "seccomp/runtime-ignores-field" {
			t.Errorf("unexpected error-level finding: %s", f)
			continue
		}
		if !strings.Contains(f.Message, "drops includes (caps CAP_") {
			t.Errorf("error not about a dropped capability condition: %s", f)
		}
		if strings.Contains(f.Message, "CAP_SYS_ADMIN") {
			sysAdmin = true
			for _, name := range []string{"bpf", "perf_event_open"} {
				if !strings.Contains(f.Message, name) {
					t.Errorf("CAP_SYS_ADMIN finding does not name %s: %s", name, f)
				}
			}
		}
	}
	if !sysAdmin {
		t.Errorf("no runtime-ignores-field error for the CAP_SYS_ADMIN-guarded rule:\n%s", dump(fs))
	}
}
