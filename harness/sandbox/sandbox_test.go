package sandbox

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/secprof/secprof/harness/filter"
)

func compile(t testing.TB, js string) *filter.Program {
	t.Helper()
	p, err := filter.Parse([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	prog, err := filter.Compile(p, filter.Options{Caps: filter.DefaultCaps})
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

func run(t *testing.T, cfg Config) (ExitStatus, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := Start(ctx, cfg)
	if err != nil {
		return ExitStatus{}, err
	}
	defer p.Close()
	select {
	case <-p.Done():
	case <-ctx.Done():
		t.Fatal("program did not exit")
	}
	return p.Status(), nil
}

func TestNoFilter(t *testing.T) {
	var out bytes.Buffer
	st, err := run(t, Config{Path: "/bin/sh", Args: []string{"sh", "-c", "echo hello $X; exit 3"}, Env: []string{"X=world"}, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	if st.Code != 3 || out.String() != "hello world\n" {
		t.Fatalf("status %+v output %q", st, out.String())
	}
}

func TestDenyAllFailsExec(t *testing.T) {
	_, err := run(t, Config{Path: "/bin/true", Filter: compile(t, `{"defaultAction":"SCMP_ACT_ERRNO"}`), NoNewPrivs: true})
	var se *StartError
	if !errors.As(err, &se) || se.Stage != "exec" || se.Errno != syscall.EPERM {
		t.Fatalf("want exec EPERM start error, got %v", err)
	}
}

func TestDefaultErrnoRet(t *testing.T) {
	_, err := run(t, Config{Path: "/bin/true", Filter: compile(t, `{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38}`), NoNewPrivs: true})
	var se *StartError
	if !errors.As(err, &se) || se.Errno != syscall.ENOSYS {
		t.Fatalf("want ENOSYS, got %v", err)
	}
}

func TestKillAtExec(t *testing.T) {
	for _, act := range []string{"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP"} {
		t.Run(act, func(t *testing.T) {
			st, err := run(t, Config{Path: "/bin/true", Filter: compile(t, `{"defaultAction":"`+act+`"}`), NoNewPrivs: true})
			var se *StartError
			switch {
			case errors.As(err, &se):
				if se.Signal != "SIGSYS" {
					t.Fatalf("start error %+v", se)
				}
			case err != nil:
				t.Fatal(err)
			case st.Signal != "SIGSYS":
				t.Fatalf("want death by SIGSYS, got %+v", st)
			}
		})
	}
}

func TestErrnoRetOnRule(t *testing.T) {
	// mkdir is denied with EACCES; everything else allowed.
	var out bytes.Buffer
	st, err := run(t, Config{Path: "/bin/sh", Args: []string{"sh", "-c", "mkdir " + t.TempDir() + "/x 2>&1; echo rc=$?"}, Stdout: &out, NoNewPrivs: true,
		Filter: compile(t, `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}`)})
	if err != nil || st.Code != 0 {
		t.Fatal(err, st)
	}
	if !strings.Contains(out.String(), "Permission denied") || !strings.Contains(out.String(), "rc=1") {
		t.Fatalf("output %q", out.String())
	}
}

func TestRecordAndExplain(t *testing.T) {
	all, err := filter.NotifyAll()
	if err != nil {
		t.Fatal(err)
	}
	// The profile under explanation denies mkdirat and mkdir.
	prof := compile(t, `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}`)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dir := t.TempDir()
	p, err := Start(ctx, Config{Path: "/bin/sh", Args: []string{"sh", "-c", "mkdir " + dir + "/x && echo ok"}, Filter: all, Listener: true, NoNewPrivs: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	rec := NewRecorder(p.Pid, prof)
	if err := Supervise(ctx, p.Listener(), rec.Handle); err != nil {
		t.Fatal(err)
	}
	<-p.Done()
	if st := p.Status(); st.Code != 0 {
		t.Fatalf("status %+v", st)
	}
	has := func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	}
	if !has(rec.Used, "execve") || !has(rec.Used, "exit_group") || len(rec.Used) < 5 {
		t.Fatalf("used %v", rec.Used)
	}
	if !has(rec.Denied, "mkdir") && !has(rec.Denied, "mkdirat") || len(rec.Denied) != 1 {
		t.Fatalf("denied %v", rec.Denied)
	}
}

// TestEscapedChildDoesNotHang: a process that leaves the process group
// and keeps the output open must not keep Done from closing.
func TestEscapedChildDoesNotHang(t *testing.T) {
	var out bytes.Buffer
	marker := "31" + strconv.Itoa(os.Getpid()%100000)
	start := time.Now()
	st, err := run(t, Config{Path: "/bin/sh", Args: []string{"sh", "-c", "setsid sleep " + marker + " & echo started"}, Stdout: &out})
	if err != nil || st.Code != 0 {
		t.Fatal(err, st)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %s", d)
	}
	// It escaped the group: end it here, by its pid.
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if b, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline"); string(b) == "sleep\x00"+marker+"\x00" {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
