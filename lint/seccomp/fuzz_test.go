package seccomp

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/secprof/secprof/lint"
)

// checkInvariants parses and lints b and checks what must hold for any
// input: no panic, every finding inside the file with a registered rule.
func checkInvariants(t *testing.T, name string, b []byte) {
	f := lint.NewFile(name, b)
	ps, fs := ParseFile(f)
	for _, p := range ps {
		fs = append(fs, Lint(p, Containerd)...)
		_ = p.Spec(ForRuntime(Docker))
	}
	lines := 1
	for _, c := range b {
		if c == '\n' {
			lines++
		}
	}
	for _, fd := range fs {
		if _, ok := lint.LookupRule(fd.Rule); !ok {
			t.Fatalf("unregistered rule %q", fd.Rule)
		}
		if fd.Line < 1 || fd.Line > lines || fd.Column < 1 {
			t.Fatalf("finding outside the file (%d lines): %+v", lines, fd)
		}
		if fd.EndLine != 0 && (fd.EndLine < fd.Line || (fd.EndLine == fd.Line && fd.EndColumn < fd.Column)) {
			t.Fatalf("end before start: %+v", fd)
		}
	}
}

func addSeeds(f *testing.F, glob string) {
	paths, _ := filepath.Glob(glob)
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

func FuzzParseJSON(f *testing.F) {
	addSeeds(f, filepath.Join(fixturesDir, "*", "*.json"))
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"op":"SCMP_CMP_MASKED_EQ","value":1}]}]}`))
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ALLOW","archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86"]}],"syscalls":[{"name":"bpf","action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"],"minKernel":"4.8"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkInvariants(t, "fuzz.json", b)
	})
}

func FuzzParseSPO(f *testing.F) {
	addSeeds(f, filepath.Join(fixturesDir, "spo", "*.yaml"))
	f.Add([]byte("kind: SeccompProfile\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n  - names: [read]\n    action: SCMP_ACT_ALLOW\n    args: [{index: 0x10, op: SCMP_CMP_EQ, value: 1_000}]\n"))
	f.Add([]byte("kind: SeccompProfile\nspec: &a {defaultAction: SCMP_ACT_LOG, x: *a}\n---\nkind: SeccompProfile\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Only YAML SeccompProfiles take this path; the fuzzer may mutate
		// the kind line away, which is fine: the JSON path is then fuzzed.
		checkInvariants(t, "fuzz.yaml", b)
	})
}
