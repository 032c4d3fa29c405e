package kind

import (
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"

	libseccomp "github.com/seccomp/libseccomp-golang"
)

// The child of TestAuditListener: getppid under a filter that logs it.
func init() {
	if os.Getenv("SECPROF_TEST_AUDIT_CHILD") != "1" {
		return
	}
	runtime.LockOSThread()
	f, err := libseccomp.NewFilter(libseccomp.ActAllow)
	if err != nil {
		os.Exit(3)
	}
	nr, err := libseccomp.GetSyscallFromName("getppid")
	if err != nil || f.AddRule(nr, libseccomp.ActLog) != nil || f.SetNoNewPrivsBit(true) != nil || f.Load() != nil {
		os.Exit(4)
	}
	for i := 0; i < 3; i++ {
		syscall.Getppid()
	}
	os.Exit(0)
}

// TestAuditListener: a process whose filter logs getppid makes audit
// records, and the listener reads them with its pid and the syscall's
// number, then returns once nothing more is waiting. Real kernel, real
// filter: the explanation on kind depends on exactly this.
func TestAuditListener(t *testing.T) {
	a, err := listenAudit()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the audit netlink socket (CAP_AUDIT_READ, as root): %v", err)
		}
		t.Skipf("cannot listen to the audit socket here (root needed): %v", err)
	}
	defer a.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SECPROF_TEST_AUDIT_CHILD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	pid := cmd.Process.Pid
	nr, err := libseccomp.GetSyscallFromName("getppid")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond) // kauditd sends a moment later
		done := make(chan []seccompRecord, 1)
		go func() {
			recs, _ := parseKmsg(a)
			done <- recs
		}()
		select {
		case recs := <-done:
			n := 0
			for _, r := range recs {
				if r.pid == pid && r.nr == int(nr) {
					n++
				}
			}
			if n > 0 {
				if got := syscallName(recs[0].arch, int(nr)); got != "getppid" {
					t.Errorf("syscall %d named %q", nr, got)
				}
				return
			}
		case <-time.After(10 * time.Second):
			t.Fatal("reading the audit socket blocked")
		}
	}
	t.Errorf("no seccomp record of pid %d (getppid) arrived", pid)
}
