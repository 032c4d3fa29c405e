package seccomp

import "testing"

func TestDangerousSyscall(t *testing.T) {
	src := `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["read", "bpf", "keyctl"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_EQ", "value": 0}]},
    {"names": ["perf_event_open"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
    {"names": ["kexec_load"], "action": "SCMP_ACT_ERRNO"}
  ]
}`
	expect(t, lintSrc(t, Docker, src), "seccomp/dangerous-syscall",
		"4:24-4:29 error ~ bpf is allowed without argument filters: it loads eBPF programs",
		"4:31-4:39 warning ~ keyctl")
	// CRI-O ignores minKernel: ptrace is allowed on every kernel.
	expect(t, lintSrc(t, CRIO, src), "seccomp/dangerous-syscall",
		"4:24-4:29 error ~ bpf", "4:31-4:39 warning ~ keyctl", "7:16-7:24 warning ~ ptrace")
	// containerd drops the conditions; runtime-ignores-field reports those rules.
	fs := lintSrc(t, Containerd, src)
	expect(t, fs, "seccomp/dangerous-syscall", "4:24-4:29 error ~ bpf", "4:31-4:39 warning ~ keyctl")
	expect(t, fs, "seccomp/runtime-ignores-field",
		"6:64-6:74 error ~ allows perf_event_open to every container",
		"7:55-7:65 warning ~ drops includes (minKernel 4.8)")
}

func TestDangerousSyscallDenyList(t *testing.T) {
	src := `{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [{"names": ["bpf", "kexec_load", "kexec_file_load"], "action": "SCMP_ACT_ERRNO"}]
}`
	fs := lintSrc(t, "", src)
	expect(t, fs, "seccomp/dangerous-syscall", "2:20-2:36 error ~ this deny list leaves dangerous syscalls allowed: acct, add_key")
	for _, f := range fs {
		if f.Rule == "seccomp/dangerous-syscall" && (contains([]string{f.Message}, "bpf") || containsWord(f.Message, "kexec_load")) {
			t.Errorf("denied syscalls listed: %s", f.Message)
		}
	}
}

func containsWord(s, w string) bool {
	for _, x := range splitWords(s) {
		if x == w {
			return true
		}
	}
	return false
}

func splitWords(s string) []string {
	var out []string
	cur := ""
	for _, r := range s {
		if r == ' ' || r == ',' || r == ':' {
			if cur != "" {
				out = append(out, cur)
			}
			cur = ""
			continue
		}
		cur += string(r)
	}
	return append(out, cur)
}
