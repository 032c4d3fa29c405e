package kind

import (
	"encoding/json"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/secprof/secprof/harness/kube"
)

func TestLoggingProfile(t *testing.T) {
	out, err := LoggingProfile([]byte(`{
  "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
  "architectures": ["SCMP_ARCH_X86_64"],
  "listenerPath": "/run/agent.sock",
  "syscalls": [
    {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["openat"], "action": "SCMP_ACT_LOG"},
    {"names": ["ptrace"], "action": "SCMP_ACT_KILL_PROCESS"},
    {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]},
    {"names": ["bpf"], "action": "SCMP_ACT_NOTIFY"}
  ]}`))
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		DefaultAction   string
		DefaultErrnoRet *int
		ListenerPath    *string
		Architectures   []string
		Syscalls        []struct {
			Names    []string
			Action   string
			ErrnoRet *int
			Args     []any
		}
	}
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	if p.DefaultAction != "SCMP_ACT_LOG" || p.DefaultErrnoRet != nil || p.ListenerPath != nil || len(p.Architectures) != 1 {
		t.Errorf("top level: %s", out)
	}
	want := []string{"SCMP_ACT_ALLOW", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_LOG", "SCMP_ACT_LOG"}
	for i, r := range p.Syscalls {
		if r.Action != want[i] || r.ErrnoRet != nil {
			t.Errorf("rule %v: action %s errnoRet %v, want %s", r.Names, r.Action, r.ErrnoRet, want[i])
		}
	}
	if len(p.Syscalls[3].Args) != 1 {
		t.Error("argument conditions were lost")
	}
	for _, bad := range []string{`[]`, `{}`, `{"defaultAction": "SCMP_ACT_FOO"}`, `{"defaultAction": 1}`, `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[1]}`} {
		if _, err := LoggingProfile([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

type lines []string

func (l lines) records(yield func(string)) {
	for _, s := range l {
		yield(s)
	}
}

func TestParseKmsg(t *testing.T) {
	recs, suppressed := parseKmsg(lines{
		`5,57010,5220066984,-;audit: type=1326 audit(1795436769.101:57010): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=30583 comm="http-echo" exe="/http-echo" sig=0 arch=c000003e syscall=49 compat=0 ip=0x40828e code=0x7ffc0000`,
		`4,57011,5220066990,-;kauditd_printk_skb: 27 callbacks suppressed`,
		`6,57012,5220066999,-;eth0: link up`,
		`5,57013,5220067000,-;audit: type=1326 audit(1795436769.102:57013): pid=12 comm="x" sig=0 arch=40000003 syscall=11 compat=1 ip=0x1 code=0x7ffc0000`,
	})
	if suppressed != 27 || len(recs) != 2 {
		t.Fatalf("records %+v suppressed %d", recs, suppressed)
	}
	if recs[0].pid != 30583 || recs[0].arch != 0xc000003e || recs[0].nr != 49 {
		t.Errorf("record %+v", recs[0])
	}
	if got := syscallName(recs[0].arch, recs[0].nr); got != "bind" {
		t.Errorf("syscall 49 on x86_64 is %q, want bind", got)
	}
	if got := syscallName(recs[1].arch, recs[1].nr); got != "execve" {
		t.Errorf("syscall 11 on x86 is %q, want execve", got)
	}
	if got := syscallName(0x1234, 5); !strings.Contains(got, "syscall 5") {
		t.Errorf("unknown arch: %q", got)
	}
}

// TestKmsgRoundTrip writes a record in the audit format into the kernel
// log and reads it back the way Explain does; reading must return once the
// log is drained, never wait for new records. Writes to /dev/kmsg are
// rate-limited by the kernel and dropped silently, so it tries a few times.
func TestKmsgRoundTrip(t *testing.T) {
	fd, err := openKmsg()
	if err != nil {
		t.Skipf("cannot read the kernel log here (root needed): %v", err)
	}
	defer syscall.Close(fd)
	for try := 0; try < 12; try++ {
		line := "audit: type=1326 secprof-test-" + kube.RandomID(8) + ": pid=424242 comm=\"x\" sig=0 arch=c000003e syscall=49 compat=0 code=0x7ffc0000"
		if err := os.WriteFile("/dev/kmsg", []byte(line), 0); err != nil {
			t.Skipf("cannot write the kernel log here: %v", err)
		}
		time.Sleep(500 * time.Millisecond) // printk stores records a moment later
		done := make(chan []seccompRecord, 1)
		go func() {
			recs, _ := readSeccompRecords(fd)
			done <- recs
		}()
		select {
		case recs := <-done:
			for _, r := range recs {
				if r.pid == 424242 && r.nr == 49 {
					return
				}
			}
		case <-time.After(10 * time.Second):
			t.Fatal("reading the kernel log blocked")
		}
	}
	t.Error("the records written were never read back")
}
