package profdiff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/secprof/secprof/lint/seccomp"
)

// want is an expected item: kind, subject and risk.
type want struct {
	kind, subject string
	risk          Risk
}

func items(fd FileDiff) []want {
	var out []want
	for _, it := range fd.Items {
		out = append(out, want{it.Kind, it.Subject, it.Risk})
	}
	return out
}

func sameItems(t *testing.T, got FileDiff, exp []want) {
	t.Helper()
	g := items(got)
	if fmt.Sprint(g) != fmt.Sprint(exp) {
		var msgs []string
		for _, it := range got.Items {
			msgs = append(msgs, fmt.Sprintf("%s %s %s: %s", it.Risk, it.Kind, it.Subject, it.Message))
		}
		t.Errorf("items:\n got %v\nwant %v\n%s\nerrors: %v", g, exp, strings.Join(msgs, "\n"), got.Errors)
	}
}

func TestCompareSeccomp(t *testing.T) {
	const allowRead = `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["read","exit_group"],"action":"SCMP_ACT_ALLOW"}]}`
	cases := []struct {
		name     string
		old, new string
		rt       seccomp.Runtime
		want     []want
	}{
		{"identical", allowRead, allowRead, "", nil},
		{"reordered names and rules are no change",
			`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"},{"names":["write"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":2,"op":"SCMP_CMP_EQ"},{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]}]}`,
			`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["write"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":1,"value":2,"op":"SCMP_CMP_EQ"}]},{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}`,
			"", nil},
		{"dangerous syscall allowed",
			allowRead,
			`{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["read","exit_group","ptrace"],"action":"SCMP_ACT_ALLOW"}]}`,
			"", []want{{KindSyscallAllowed, "ptrace", High}}},
		{"ordinary syscall allowed",
			allowRead,
			`{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["read","exit_group","getpid"],"action":"SCMP_ACT_ALLOW"}]}`,
			"", []want{{KindSyscallAllowed, "getpid", Low}}},
		{"syscall removed from the allow list",
			allowRead,
			`{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["exit_group"],"action":"SCMP_ACT_ALLOW"}]}`,
			"", []want{{KindSyscallDenied, "read", Info}}},
		{"errno to log default is high",
			allowRead,
			strings.Replace(allowRead, "SCMP_ACT_ERRNO", "SCMP_ACT_LOG", 1),
			"", []want{{KindDefaultAction, "defaultAction", High}}},
		{"errno to allow default is high",
			allowRead,
			strings.Replace(allowRead, "SCMP_ACT_ERRNO", "SCMP_ACT_ALLOW", 1),
			"", []want{{KindDefaultAction, "defaultAction", High}}},
		{"errno to kill default is a tightening",
			allowRead,
			strings.Replace(allowRead, "SCMP_ACT_ERRNO", "SCMP_ACT_KILL_PROCESS", 1),
			"", []want{{KindDefaultAction, "defaultAction", Info}}},
		{"errno to notify default is medium",
			allowRead,
			strings.Replace(allowRead, `"SCMP_ACT_ERRNO",`, `"SCMP_ACT_NOTIFY","listenerPath":"/run/agent.sock",`, 1),
			"", []want{{KindDefaultAction, "defaultAction", Medium}, {KindListener, "listenerPath", Medium}}},
		{"log to allow default loses the audit trail",
			strings.Replace(allowRead, "SCMP_ACT_ERRNO", "SCMP_ACT_LOG", 1),
			strings.Replace(allowRead, "SCMP_ACT_ERRNO", "SCMP_ACT_ALLOW", 1),
			"", []want{{KindDefaultAction, "defaultAction", Low}}},
		{"allow to errno default is a tightening",
			strings.Replace(allowRead, "SCMP_ACT_ERRNO", "SCMP_ACT_ALLOW", 1),
			allowRead,
			"", []want{{KindDefaultAction, "defaultAction", Info}}},
		{"deny-list rule removed re-allows the syscall",
			`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mount","ptrace"],"action":"SCMP_ACT_ERRNO"}]}`,
			`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mount"],"action":"SCMP_ACT_ERRNO"}]}`,
			"", []want{{KindSyscallAllowed, "ptrace", High}}},
		{"argument filter removed",
			`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]}]}`,
			`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["personality"],"action":"SCMP_ACT_ALLOW"}]}`,
			"", []want{{KindSyscallAllowed, "personality", High}}},
		{"allowed under a new condition",
			allowRead,
			`{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["read","exit_group"],"action":"SCMP_ACT_ALLOW"},{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},{"names":["getpid"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]}]}`,
			"", []want{{KindSyscallConditions, "personality", Medium}, {KindSyscallConditions, "getpid", Low}}},
		{"condition changed",
			`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]}]}`,
			`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]}]}`,
			"", []want{{KindSyscallConditions, "clone", Medium}, {KindSyscallDenied, "clone", Info}}},
		{"conditional deny removed in a deny list",
			`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["personality"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":0,"op":"SCMP_CMP_NE"}]}]}`,
			`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}`,
			"", []want{{KindSyscallConditions, "personality", Medium}}},
		{"errno value changed",
			`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":38}]}`,
			`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}`,
			"", []want{{KindSyscallAction, "clone3", Info}}},
		{"architecture added and removed",
			allowRead,
			strings.Replace(allowRead, `["SCMP_ARCH_X86_64"]`, `["SCMP_ARCH_X86","SCMP_ARCH_X32"]`, 1),
			"", []want{{KindArchitectureAdded, "SCMP_ARCH_X32", Low}, {KindArchitectureAdded, "SCMP_ARCH_X86", Low}, {KindArchitectureRemove, "SCMP_ARCH_X86_64", Info}}},
		{"spec-allow flag",
			allowRead,
			strings.Replace(allowRead, `"syscalls"`, `"flags":["SECCOMP_FILTER_FLAG_SPEC_ALLOW","SECCOMP_FILTER_FLAG_LOG"],"syscalls"`, 1),
			"", []want{{KindFlagAdded, "SECCOMP_FILTER_FLAG_SPEC_ALLOW", Medium}, {KindFlagAdded, "SECCOMP_FILTER_FLAG_LOG", Info}}},
		// containerd drops includes: the rule applies to every container,
		// so on containerd the change below newly allows mount; Docker
		// honours the condition and sees it only for CAP_SYS_ADMIN holders.
		{"includes.caps dropped on containerd",
			allowRead,
			strings.Replace(allowRead, `"syscalls":[`, `"syscalls":[{"names":["mount"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}},`, 1),
			seccomp.Containerd, []want{{KindSyscallAllowed, "mount", High}}},
		{"includes.caps honoured on docker",
			allowRead,
			strings.Replace(allowRead, `"syscalls":[`, `"syscalls":[{"names":["mount"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}},`, 1),
			seccomp.Docker, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fd, ok := Compare("p.json", []byte(c.old), "p.json", []byte(c.new), Options{Runtime: c.rt})
			if !ok {
				t.Fatal("not recognised as a profile")
			}
			if fd.Status != StatusModified || fd.Type != "seccomp" {
				t.Errorf("status %q type %q", fd.Status, fd.Type)
			}
			if len(fd.Errors) > 0 {
				t.Fatalf("errors: %v", fd.Errors)
			}
			sameItems(t, fd, c.want)
			for _, it := range fd.Items {
				if it.Message == "" {
					t.Errorf("item %+v has no message", it)
				}
			}
		})
	}
}

func TestCompareSeccompPositions(t *testing.T) {
	old := "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}]\n}\n"
	new := "{\n  \"defaultAction\": \"SCMP_ACT_LOG\",\n  \"syscalls\": [\n    {\"names\": [\"read\", \"ptrace\"], \"action\": \"SCMP_ACT_ALLOW\"}\n  ]\n}\n"
	fd, _ := Compare("p.json", []byte(old), "p.json", []byte(new), Options{})
	pos := map[string][2]int{}
	for _, it := range fd.Items {
		pos[it.Subject] = [2]int{it.Line, it.Column}
	}
	if got := pos["defaultAction"]; got != [2]int{2, 20} {
		t.Errorf("defaultAction at %v, want 2:20", got)
	}
	if got := pos["ptrace"]; got != [2]int{4, 24} {
		t.Errorf("ptrace at %v, want 4:24", got)
	}
}

func TestAddedAndRemovedProfiles(t *testing.T) {
	denyList := []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_ERRNO"}]}`)
	fd, ok := Compare("", nil, "new.json", denyList, Options{})
	if !ok || fd.Status != StatusAdded {
		t.Fatalf("ok=%v status=%q", ok, fd.Status)
	}
	sameItems(t, fd, []want{{KindProfileAdded, "new.json", High}})

	allowList := []byte(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","write","unshare"],"action":"SCMP_ACT_ALLOW"}]}`)
	fd, _ = Compare("", nil, "new.json", allowList, Options{})
	// The new profile is summed up in one line, and what it allows that
	// is risky is listed; read and write are not.
	sameItems(t, fd, []want{{KindSyscallAllowed, "unshare", High}, {KindProfileAdded, "new.json", Info}})
	if !strings.Contains(fd.Items[1].Message, "3 syscalls allowed") {
		t.Errorf("summary item: %q", fd.Items[1].Message)
	}

	fd, _ = Compare("old.json", allowList, "", nil, Options{})
	if fd.Status != StatusRemoved || fd.Path != "old.json" {
		t.Errorf("status %q path %q", fd.Status, fd.Path)
	}
	sameItems(t, fd, []want{{KindProfileRemoved, "", Info}})
}

func TestCompareSPO(t *testing.T) {
	old := `apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata: {name: web, namespace: prod}
spec:
  defaultAction: SCMP_ACT_ERRNO
  syscalls:
  - {names: [read, write], action: SCMP_ACT_ALLOW}
---
apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata: {name: batch, namespace: prod}
spec:
  defaultAction: SCMP_ACT_ERRNO
`
	// batch moves first and web gains bpf: objects pair by name.
	new := `apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata: {name: batch, namespace: prod}
spec:
  defaultAction: SCMP_ACT_ERRNO
  baseProfileName: runc-v1.1.0
---
apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata: {name: web, namespace: prod}
spec:
  defaultAction: SCMP_ACT_ERRNO
  syscalls:
  - {names: [read, write, bpf], action: SCMP_ACT_ALLOW}
`
	fd, ok := Compare("p.yaml", []byte(old), "p.yaml", []byte(new), Options{})
	if !ok {
		t.Fatal("not recognised")
	}
	sameItems(t, fd, []want{{KindSyscallAllowed, "bpf", High}, {KindBaseProfile, "baseProfileName", Medium}})
	for _, it := range fd.Items {
		wantProf := map[string]string{"bpf": "SeccompProfile prod/web", "baseProfileName": "SeccompProfile prod/batch"}[it.Subject]
		if it.Profile != wantProf {
			t.Errorf("%s: profile %q, want %q", it.Subject, it.Profile, wantProf)
		}
	}
	if fd.Items[0].Line != 14 {
		t.Errorf("bpf at line %d, want 14", fd.Items[0].Line)
	}
}

func TestCompareUnparsable(t *testing.T) {
	old := []byte(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[]}`)
	new := []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[`)
	fd, ok := Compare("p.json", old, "p.json", new, Options{})
	if !ok {
		t.Fatal("a broken profile is still a profile")
	}
	if len(fd.Items) != 0 || len(fd.Errors) != 1 || !strings.Contains(fd.Errors[0], "new p.json:1:") {
		t.Errorf("items %v errors %q", fd.Items, fd.Errors)
	}
}

func TestCompareNotProfiles(t *testing.T) {
	if _, ok := Compare("a.txt", []byte("hello"), "a.txt", []byte("world"), Options{}); ok {
		t.Error("text files compared")
	}
	if _, ok := Compare("a.bin", []byte{0, 1, 2, 0}, "a.bin", []byte{0, 1, 0}, Options{}); ok {
		t.Error("binary files compared")
	}
}

// The real Docker default profile against itself with one dangerous
// syscall added: exactly one item, whatever the size.
func TestCompareDockerDefault(t *testing.T) {
	old, err := os.ReadFile("testdata/docker-default.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(old, &doc); err != nil {
		t.Fatal(err)
	}
	// swapon moves from the leading ERRNO rule to a rule of its own
	// that allows it.
	sys := doc["syscalls"].([]any)
	first := sys[0].(map[string]any)
	var names []any
	for _, n := range first["names"].([]any) {
		if n != "swapon" {
			names = append(names, n)
		}
	}
	first["names"] = names
	doc["syscalls"] = append(sys, map[string]any{"names": []string{"swapon"}, "action": "SCMP_ACT_ALLOW"})
	new, _ := json.MarshalIndent(doc, "", "\t")
	for _, rt := range []seccomp.Runtime{seccomp.Containerd, seccomp.Docker, seccomp.CRIO} {
		fd, _ := Compare("d.json", old, "d.json", new, Options{Runtime: rt})
		sameItems(t, fd, []want{{KindSyscallAllowed, "swapon", High}})
		fd, _ = Compare("d.json", old, "d.json", old, Options{Runtime: rt})
		if len(fd.Items) != 0 {
			t.Errorf("%s: profile differs from itself: %v", rt, items(fd))
		}
	}
}

func TestRisk(t *testing.T) {
	for _, s := range []string{"info", "low", "medium", "high"} {
		r, err := ParseRisk(s)
		if err != nil || r.String() != s {
			t.Errorf("ParseRisk(%q) = %v, %v", s, r, err)
		}
		b, _ := json.Marshal(r)
		var back Risk
		if err := json.Unmarshal(b, &back); err != nil || back != r {
			t.Errorf("JSON round trip of %v: %s → %v %v", r, b, back, err)
		}
	}
	if _, err := ParseRisk("severe"); err == nil {
		t.Error("ParseRisk accepted severe")
	}
}

func FuzzCompare(f *testing.F) {
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}`),
		[]byte(`{"defaultAction":"SCMP_ACT_LOG","syscalls":[{"names":["read","ptrace"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]}]}`))
	f.Add([]byte("kind: SeccompProfile\nspec:\n  defaultAction: SCMP_ACT_ALLOW\n"), []byte("{"))
	f.Add([]byte(denyWrite), []byte(strings.Replace(denyWrite, "deny /** w,", "capability sys_admin,\n  mount,\n  /bin/** ux,", 1)))
	f.Fuzz(func(t *testing.T, old, new []byte) {
		fd, ok := Compare("a", old, "a", new, Options{})
		if !ok {
			return
		}
		var b bytes.Buffer
		r := &Report{Base: "a", Head: "b", Files: []FileDiff{fd}}
		for _, format := range Formats {
			b.Reset()
			if err := Write(&b, format, r); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func BenchmarkCompareDockerDefault(b *testing.B) {
	old, err := os.ReadFile("testdata/docker-default.json")
	if err != nil {
		b.Fatal(err)
	}
	new := bytes.Replace(old, []byte(`"SCMP_ACT_ERRNO"`), []byte(`"SCMP_ACT_LOG"`), 1)
	b.Run("profdiff", func(b *testing.B) {
		b.SetBytes(int64(len(old) + len(new)))
		for i := 0; i < b.N; i++ {
			Compare("d.json", old, "d.json", new, Options{})
		}
	})
	// Baseline: only decoding both files with encoding/json.
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(old) + len(new)))
		for i := 0; i < b.N; i++ {
			var x, y any
			_ = json.Unmarshal(old, &x)
			_ = json.Unmarshal(new, &y)
		}
	})
}
