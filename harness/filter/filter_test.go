package filter

import (
	"strings"
	"syscall"
	"testing"

	libseccomp "github.com/seccomp/libseccomp-golang"
)

const archX86_64 = 0xc000003e

func nr(t testing.TB, name string) int32 {
	s, err := libseccomp.GetSyscallFromName(name)
	if err != nil {
		t.Fatal(err)
	}
	return int32(s)
}

func compile(t testing.TB, js string, o Options) *Program {
	t.Helper()
	p, err := Parse([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	prog, err := Compile(p, o)
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

func eval(t testing.TB, p *Program, name string, args ...uint64) uint32 {
	t.Helper()
	d := Data{Nr: nr(t, name), Arch: archX86_64}
	copy(d.Args[:], args)
	r, err := p.Eval(d)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCompileSemantics(t *testing.T) {
	if a, _ := libseccomp.GetNativeArch(); a != libseccomp.ArchAMD64 {
		t.Skip("the expectations are written for x86_64")
	}
	prof := `{
	  "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
	  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
	  "syscalls": [
	    {"names": ["read", "write", "no_such_syscall"], "action": "SCMP_ACT_ALLOW"},
	    {"names": ["mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
	    {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
	    {"names": ["reboot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_BOOT"]}},
	    {"names": ["chroot"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_SYS_CHROOT"]}},
	    {"names": ["kill"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm64"]}},
	    {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]},
	    {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]},
	    {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}]},
	    {"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
	    {"names": ["exit_group"], "action": "SCMP_ACT_KILL_PROCESS"},
	    {"names": ["tgkill"], "action": "SCMP_ACT_LOG"}
	  ]}`
	p := compile(t, prof, Options{Caps: DefaultCaps, Kernel: "6.1.0"})
	errno := func(e syscall.Errno) uint32 { return RetErrno | uint32(e) }
	tests := []struct {
		name string
		args []uint64
		want uint32
	}{
		{"read", nil, RetAllow},
		{"openat", nil, errno(syscall.ENOSYS)},  // defaultErrnoRet
		{"mkdirat", nil, errno(syscall.EACCES)}, // errnoRet
		{"ptrace", nil, RetAllow},               // minKernel met
		{"reboot", nil, errno(syscall.ENOSYS)},  // CAP_SYS_BOOT not in the default set
		{"chroot", nil, errno(syscall.ENOSYS)},  // excluded: CAP_SYS_CHROOT is in it
		{"kill", nil, errno(syscall.ENOSYS)},    // arm64 only
		{"personality", []uint64{0}, RetAllow},  // argument matches
		{"personality", []uint64{8}, errno(syscall.ENOSYS)},
		{"socket", []uint64{1}, RetAllow}, // repeated index: OR, as runc does
		{"socket", []uint64{2}, RetAllow},
		{"socket", []uint64{10}, errno(syscall.ENOSYS)},
		{"clone", []uint64{0x11}, RetAllow}, // no namespace flags
		{"clone", []uint64{0x10000000}, errno(syscall.ENOSYS)},
		{"getpid", nil, errno(syscall.ENOSYS)}, // same as the default: dropped, still ENOSYS
		{"exit_group", nil, RetKillProcess},
		{"tgkill", nil, RetLog},
	}
	for _, tt := range tests {
		if got := eval(t, p, tt.name, tt.args...); got != tt.want {
			t.Errorf("%s%v = %s, want %s", tt.name, tt.args, ActionName(got), ActionName(tt.want))
		}
	}
	warn := strings.Join(p.Warnings, "\n")
	if !strings.Contains(warn, `unknown syscall "no_such_syscall" ignored`) || !strings.Contains(warn, "equals the default action") {
		t.Errorf("warnings: %s", warn)
	}
	// With CAP_SYS_BOOT added, reboot is allowed; an old kernel drops ptrace.
	p2 := compile(t, prof, Options{Caps: append([]string{"CAP_SYS_BOOT"}, DefaultCaps...), Kernel: "4.4.0"})
	if got := eval(t, p2, "reboot"); got != RetAllow {
		t.Errorf("reboot with CAP_SYS_BOOT = %s", ActionName(got))
	}
	if got := eval(t, p2, "ptrace"); got == RetAllow {
		t.Errorf("ptrace on 4.4 = %s", ActionName(got))
	}
	// A foreign architecture gets the bad-arch action (kill).
	if r, _ := p.Eval(Data{Nr: 0, Arch: 0xc00000b7}); Denies(r) == false {
		t.Errorf("aarch64 call = %s", ActionName(r))
	}
}

func TestCompileErrors(t *testing.T) {
	for _, tt := range []struct{ js, want string }{
		{`{}`, "defaultAction is required"},
		{`{"defaultAction": "SCMP_ACT_DENY"}`, `unknown action "SCMP_ACT_DENY"`},
		{`{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_Z80"]}`, "architecture"},
		{`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1}]}`, "errnoRet is only valid"},
		{`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 7, "value": 1, "op": "SCMP_CMP_EQ"}]}]}`, "out of range"},
		{`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_LIKE"}]}]}`, "unknown operator"},
		{`{"defaultAction": "SCMP_ACT_ERRNO", "flags": ["SECCOMP_FILTER_FLAG_FAST"]}`, "unknown flag"},
		{`{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 99999}`, "out of range"},
	} {
		p, err := Parse([]byte(tt.js))
		if err == nil {
			_, err = Compile(p, Options{})
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.js, err, tt.want)
		}
	}
}

func TestParseSPO(t *testing.T) {
	p, err := Parse([]byte("apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata: {name: x}\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n    - {action: SCMP_ACT_ALLOW, names: [read]}\n"))
	if err != nil || p.DefaultAction != "SCMP_ACT_ERRNO" || p.Syscalls[0].Names[0] != "read" {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := Parse([]byte(`{"kind":"SeccompProfile","spec":{"defaultAction":"SCMP_ACT_ERRNO","baseProfileName":"oci://x"}}`)); err == nil || !strings.Contains(err.Error(), "baseProfileName") {
		t.Fatalf("base profile: %v", err)
	}
}

// FuzzProfile: parsing, compiling and evaluating any input must not panic.
func FuzzProfile(f *testing.F) {
	for _, s := range []string{
		`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_MASKED_EQ","valueTwo":1}]}]}`,
		`{"defaultAction":"SCMP_ACT_LOG"}`,
		`{"defaultAction":"SCMP_ACT_ERRNO","archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86"]}]}`,
		"kind: SeccompProfile\nspec: {defaultAction: SCMP_ACT_ALLOW}\n",
		`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"write","action":"SCMP_ACT_TRACE","errnoRet":5,"includes":{"minKernel":"x.y"}}]}`,
	} {
		f.Add([]byte(s), uint16(0), uint64(1))
	}
	f.Fuzz(func(t *testing.T, b []byte, nr uint16, arg uint64) {
		p, err := Parse(b)
		if err != nil {
			return
		}
		if len(p.Syscalls) > 64 {
			return // keep each run fast; sizes are bounded by MaxProfileSize anyway
		}
		prog, err := Compile(p, Options{Caps: DefaultCaps})
		if err != nil {
			return
		}
		if _, err := prog.Eval(Data{Nr: int32(nr % 512), Arch: archX86_64, Args: [6]uint64{arg, arg}}); err != nil {
			t.Fatalf("eval: %v", err)
		}
	})
}
