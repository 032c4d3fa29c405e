package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestTestCommand(t *testing.T) {
	dir := workspace(t, map[string]string{
		"seccomp/profiles/no-mkdir.json": `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}`,
		"pass.yaml": `profiles: {seccomp: seccomp}
cases:
  - {name: completes, workload: {command: ["true"], restartPolicy: Never}, seccomp: profiles/no-mkdir.json, expect: {outcome: Completed}}
  - {name: mkdir denied, workload: {command: [mkdir, d], restartPolicy: Never}, seccomp: profiles/no-mkdir.json, expect: {outcome: Failed, exitCode: 1}}
`,
		"fail.yaml": `profiles: {seccomp: seccomp}
cases:
  - {name: wrong, workload: {command: [mkdir, d], restartPolicy: Never}, seccomp: profiles/no-mkdir.json, expect: {outcome: Completed}}
`,
		"bad.yaml": "cases:\n  - name: a\n    workload: {command: [x]}\n    seccomp: profiles/../../etc/passwd\n    expct: {outcome: Running}\n",
	})
	r := secprof(t, dir, "test", "--plan", "pass.yaml", "--junit", "out/junit.xml", "--json", "out.json")
	if r.code != 2 || !strings.Contains(r.stderr, "--junit") {
		t.Fatalf("a report into a missing directory must fail with 2: %+v", r)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 4 { // the three plans and seccomp/
		t.Errorf("partial files left: %v", ents)
	}
	r = secprof(t, dir, "test", "--plan", "pass.yaml", "--junit", "junit.xml", "--json", "out.json")
	if r.code != 0 || !strings.Contains(r.stdout, "2 passed, 0 failed") {
		t.Fatalf("%+v", r)
	}
	var res struct {
		Passed int
		Cases  []struct{ Name, Status string }
	}
	if b, err := os.ReadFile(filepath.Join(dir, "out.json")); err != nil || json.Unmarshal(b, &res) != nil || res.Passed != 2 {
		t.Fatalf("json report: %s %v", b, err)
	}
	var junit struct {
		Tests int `xml:"tests,attr"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, "junit.xml")); err != nil || xml.Unmarshal(b, &junit) != nil || junit.Tests != 2 {
		t.Fatalf("junit report: %s %v", b, err)
	}
	r = secprof(t, dir, "test", "--plan", "fail.yaml")
	if r.code != 1 || !strings.Contains(r.stdout, "FAILED wrong (fail.yaml:3)") || !strings.Contains(r.stdout, "expected Completed, got Failed") {
		t.Fatalf("%+v", r)
	}
	r = secprof(t, dir, "test", "--plan", "bad.yaml")
	if r.code != 2 || !strings.Contains(r.stderr, "bad.yaml:4:14:") || !strings.Contains(r.stderr, `bad.yaml:5:5: unknown key "expct"`) {
		t.Fatalf("plan errors: %+v", r)
	}
	r = secprof(t, dir, "test", "--plan", "pass.yaml", "--backend", "nomad")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown backend "nomad"`) {
		t.Fatalf("%+v", r)
	}
	r = secprof(t, dir, "test", "--plan", "pass.yaml", "--run", "^mkdir")
	if r.code != 0 || !strings.Contains(r.stdout, "1 passed") {
		t.Fatalf("--run: %+v", r)
	}
}

// TestTestCommandInterrupt: Ctrl-C (SIGINT) and SIGTERM stop the run and
// leave no workload process behind.
func TestTestCommandInterrupt(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := workspace(t, map[string]string{})
			// The workloads' background children carry the marker too: a
			// sleep of a duration no other process uses.
			marker := strconv.Itoa(100000 + os.Getpid()%50000 + int(sig))
			plan := "stableFor: 1m\ncases:\n"
			for i := 0; i < 3; i++ {
				plan += "  - {name: c" + strconv.Itoa(i) + `, workload: {command: [sh, -c, "sleep ` + marker + ` & sleep ` + marker + `"]}, expect: {outcome: Running}}` + "\n"
			}
			os.WriteFile(filepath.Join(dir, "plan.yaml"), []byte(plan), 0o644)
			cmd := exec.Command(secprofBin, "test", "--plan", "plan.yaml", "--parallel", "3")
			cmd.Dir = dir
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for len(markerProcs(marker)) < 6 {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("workloads did not start: %v", markerProcs(marker))
				}
				time.Sleep(20 * time.Millisecond)
			}
			cmd.Process.Signal(sig)
			err := cmd.Wait()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
				t.Errorf("exit: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
			if left := markerProcs(marker); len(left) > 0 {
				t.Fatalf("left behind: %v", left)
			}
		})
	}
}

func markerProcs(marker string) []string {
	ents, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		st, _ := os.ReadFile("/proc/" + e.Name() + "/stat")
		if i := strings.LastIndexByte(string(st), ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
			continue
		}
		if strings.Contains(string(b), marker) {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestProbeCommand(t *testing.T) {
	r := secprof(t, t.TempDir(), "probe", "-syscalls", "getpid,mkdirat", "-pretty")
	var rep struct {
		Seccomp  string
		Syscalls []struct{ Name, Result string }
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &rep) != nil || len(rep.Syscalls) != 2 || rep.Seccomp == "" {
		t.Fatalf("%+v", r)
	}
	if r := secprof(t, t.TempDir(), "probe", "-write", "/proc/no/such/file"); r.code != 1 || !strings.Contains(r.stderr, "no such file") {
		t.Fatalf("probe -write: %+v", r)
	}
}

func TestRecordCommand(t *testing.T) {
	dir := t.TempDir()
	r := secprof(t, dir, "record", "-o", "true.json", "--", "true")
	if r.code != 0 || !strings.Contains(r.stderr, "recorded") {
		t.Fatalf("%+v", r)
	}
	b, err := os.ReadFile(filepath.Join(dir, "true.json"))
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		DefaultAction string
		Syscalls      []struct{ Names []string }
	}
	if json.Unmarshal(b, &p) != nil || p.DefaultAction != "SCMP_ACT_ERRNO" || !strings.Contains(strings.Join(p.Syscalls[0].Names, ","), "execve") {
		t.Fatalf("profile: %s", b)
	}
	// The recorded profile runs the command under secprof test.
	os.MkdirAll(filepath.Join(dir, "seccomp/profiles"), 0o755)
	os.Rename(filepath.Join(dir, "true.json"), filepath.Join(dir, "seccomp/profiles/true.json"))
	os.WriteFile(filepath.Join(dir, "plan.yaml"), []byte("profiles: {seccomp: seccomp}\ncases:\n  - {name: recorded, workload: {command: [\"true\"], restartPolicy: Never}, seccomp: profiles/true.json, expect: {outcome: Completed}}\n"), 0o644)
	if r := secprof(t, dir, "test", "--plan", "plan.yaml"); r.code != 0 {
		t.Fatalf("%+v", r)
	}
	r = secprof(t, dir, "record", "--format", "spo", "--for-container", "--", "true")
	if r.code != 0 || !strings.Contains(r.stdout, "kind: SeccompProfile") || !strings.Contains(r.stdout, "capset") {
		t.Fatalf("spo: %+v", r)
	}
	r = secprof(t, dir, "record", "-o", "x.json", "--", "no-such-command-here")
	if r.code != 2 {
		t.Fatalf("%+v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.json")); err == nil {
		t.Fatal("an output file was left after a failed recording")
	}
	r = secprof(t, dir, "record", "--", "false")
	if r.code != 1 || !strings.Contains(r.stdout, "SCMP_ACT_ERRNO") {
		t.Fatalf("a failing command still gets its profile, and exit 1: %+v", r)
	}
}
