package seccomp

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestMissingCompatArch(t *testing.T) {
	expect(t, lintSrc(t, "", `{
  "defaultAction": "SCMP_ACT_ALLOW",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"],
  "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO"}]
}`), "seccomp/missing-compat-arch", "3:21-3:39 warning ~ SCMP_ARCH_X86_64 is listed without SCMP_ARCH_X86: every 32-bit syscall is killed")
	expect(t, lintSrc(t, "", `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_AARCH64"],
  "syscalls": [{"names": ["execve", "exit_group"], "action": "SCMP_ACT_ALLOW"}]
}`), "seccomp/missing-compat-arch", "3:21-3:40 info ~ 32-bit programs in the image cannot run")
	expect(t, lintSrc(t, "", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]}`), "seccomp/missing-compat-arch")
}

// TestMissingArchIsKilledNotBypassed backs the rule's claim with the BPF
// libseccomp generates: for an x86_64-only filter, i386 syscalls (another
// AUDIT_ARCH) and x32 syscalls (x86_64 numbers with bit 30 set) go to the
// bad-architecture action, SECCOMP_RET_KILL, even with defaultAction ALLOW.
func TestMissingArchIsKilledNotBypassed(t *testing.T) {
	ps, _ := ParseBytes("p.json", []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO"}]}`))
	res, errs := compile(ps[0], newEnv(ps[0], Containerd))
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	if nativeArch() != "SCMP_ARCH_X86_64" {
		t.Skip("the instruction pattern checked is x86_64's")
	}
	ins := func(code uint16, k uint32) []byte {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint16(b, code)
		binary.LittleEndian.PutUint32(b[4:], k)
		return b
	}
	prog := res.program
	// ld arch; jeq AUDIT_ARCH_X86_64 — anything else falls to the bad-arch action
	if !bytes.HasPrefix(prog, ins(0x20, 4)) || binary.LittleEndian.Uint32(prog[12:]) != 0xc000003e {
		t.Fatalf("filter does not start with the architecture check: % x", prog[:16])
	}
	found := false
	for i := 0; i+8 <= len(prog); i += 8 {
		if binary.LittleEndian.Uint16(prog[i:]) == 0x35 && binary.LittleEndian.Uint32(prog[i+4:]) == 0x40000000 {
			found = true // jge X32_SYSCALL_BIT
		}
	}
	if !found {
		t.Error("no x32 check (jge 0x40000000) in the x86_64-only filter")
	}
	last := prog[len(prog)-8:]
	if binary.LittleEndian.Uint16(last) != 0x06 || binary.LittleEndian.Uint32(last[4:]) != 0 {
		t.Errorf("bad-architecture action is not SECCOMP_RET_KILL: % x", last)
	}
}
