package main

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as the pause command itself.
func TestMain(m *testing.M) {
	if os.Getenv("SECPROF_PAUSE_RUN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func TestExitsCleanlyOnSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "SECPROF_PAUSE_RUN=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Give it time to install its handlers, then check it is still up.
		time.Sleep(200 * time.Millisecond)
		if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
			t.Fatalf("pause exited early: %v", err)
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%v: exit %v, want 0", sig, err)
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("%v: pause did not exit", sig)
		}
	}
}

func TestReapsOrphans(t *testing.T) {
	// A child that exited is collected by reap, not left as a zombie.
	cmd := exec.Command("/bin/sh", "-c", "exit 0")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	time.Sleep(200 * time.Millisecond)
	reap()
	var ws syscall.WaitStatus
	if got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil); err == nil && got == pid {
		t.Fatalf("child %d was still waiting to be reaped", pid)
	}
}
