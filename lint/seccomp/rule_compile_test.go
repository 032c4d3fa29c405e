package seccomp

import (
	"os"
	"testing"
)

func TestCompileDebianProfile(t *testing.T) {
	b, err := os.ReadFile(debianProfile)
	if os.IsNotExist(err) {
		t.Skipf("%s is absent: install golang-github-containers-common", debianProfile)
	}
	ps, fs := ParseBytes("seccomp.json", b)
	if len(fs) > 0 || len(ps) != 1 {
		t.Fatalf("parse: %v", fs)
	}
	for _, rt := range []Runtime{Containerd, CRIO, Docker} {
		res, err := Compile(ps[0], ForRuntime(rt))
		if err != nil {
			t.Fatalf("%s: %v", rt, err)
		}
		if res.Instructions < 100 || res.Instructions > MaxInstructions {
			t.Errorf("%s: %d instructions", rt, res.Instructions)
		}
		t.Logf("%s: %d BPF instructions for %v", rt, res.Instructions, res.Arches)
	}
}

func TestCompileTooLong(t *testing.T) {
	src, err := os.ReadFile("../../fixtures/seccomp/bad/compile.json")
	if err != nil {
		t.Fatal(err)
	}
	fs := lintSrc(t, "", string(src))
	expect(t, fs, "seccomp/compile", "2:20-2:36 error ~ more than the kernel's limit of 4096")
	only(t, fs, "seccomp/compile", "seccomp/unknown-syscall")
}

func TestCompileMixedEndianness(t *testing.T) {
	src := `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_S390X"],
  "syscalls": [{"names": ["exit_group", "execve"], "action": "SCMP_ACT_ALLOW"}]
}`
	expect(t, lintSrc(t, "", src), "seccomp/compile", "3:75-3:92 error ~ libseccomp cannot add architecture SCMP_ARCH_S390X: its byte order differs")
}

func TestCompileRefused(t *testing.T) {
	src := `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_EQ", "value": 1}]},
    {"names": ["socket"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "op": "SCMP_CMP_EQ", "value": 1}]}
  ]
}`
	expect(t, lintSrc(t, "", src), "seccomp/compile", "5:16-5:24 error ~ libseccomp refuses the rule for socket (it conflicts with an earlier rule")

	both := `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86_64"],
  "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}],
  "syscalls": [{"name": "read", "names": ["write"], "action": "SCMP_ACT_ALLOW"}]
}`
	expect(t, lintSrc(t, Docker, both), "seccomp/compile",
		"4:3-4:12 error ~ docker refuses a profile with both architectures and archMap",
		"5:17-5:23 error ~ docker refuses a rule with both name and names")
	expect(t, lintSrc(t, Containerd, both), "seccomp/compile")
}

func TestCompileGood(t *testing.T) {
	src, err := os.ReadFile("../../fixtures/seccomp/good/echo-server.json")
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := ParseBytes("good.json", src)
	res, err := Compile(ps[0])
	if err != nil || res.Instructions == 0 {
		t.Fatalf("%+v %v", res, err)
	}
	expect(t, lintSrc(t, "", string(src)), "seccomp/compile")
}
