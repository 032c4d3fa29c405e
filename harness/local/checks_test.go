package local

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/secprof/secprof/harness"
)

// TestChecksAndOutcomes covers exec and probe checks, errnoRet, run-to-
// completion outcomes, skips and infrastructure errors on the local backend.
func TestChecksAndOutcomes(t *testing.T) {
	_, prb := fixtures(t)
	dir := planDir(t, map[string][]byte{
		"no-mkdir.json":   []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}`),
		"kill-mkdir.json": []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_KILL_PROCESS"}]}`),
		"uname-arg.json":  []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["personality"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]}]}`),
		"notify.json":     []byte(`{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/run/agent.sock","syscalls":[{"names":["mkdirat"],"action":"SCMP_ACT_NOTIFY"}]}`),
		"broken.json":     []byte(`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [`),
		"bad-action.json": []byte(`{"defaultAction": "SCMP_ACT_DENY"}`),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := ln.Addr().(*net.TCPAddr).Port
	res := runPlan(t, dir, fmt.Sprintf(`
profiles: {seccomp: seccomp}
stableFor: 500ms
parallel: 4
cases:
  - name: errnoRet reaches the program
    workload: {local: [%[1]s, -sleep]}
    seccomp: profiles/no-mkdir.json
    expect:
      outcome: Running
      seccompMode: filter
      syscalls: {denied: [mkdirat, mkdir], allowed: [getpid, rmdir]}
      exec:
        - {command: [sh, -c, "mkdir d"], exitCode: 1, outputContains: Permission denied}
        - {command: [sh, -c, "rmdir nonexistent"], exitCode: 1, outputContains: No such file}
  - name: a killing rule is seen by the probe
    workload: {local: [%[1]s, -sleep]}
    seccomp: profiles/kill-mkdir.json
    expect: {outcome: Running, syscalls: {denied: [mkdirat, mkdir], allowed: [rmdir]}}
  - name: argument conditions
    workload: {local: [%[1]s, -sleep]}
    seccomp: profiles/uname-arg.json
    expect: {outcome: Running}
  - name: unconfined
    workload: {local: [%[1]s, -sleep]}
    expect: {outcome: Running, seccompMode: disabled, syscalls: {allowed: [mkdirat]}}
  - name: completes
    workload: {command: ["true"], restartPolicy: Never}
    seccomp: profiles/audit.json
    expect: {outcome: Completed}
  - name: fails
    workload: {command: ["false"], restartPolicy: Never}
    expect: {outcome: Failed, exitCode: 1}
  - name: killed by the filter
    workload: {command: [mkdir, x], restartPolicy: Never}
    seccomp: profiles/kill-mkdir.json
    expect: {outcome: Failed, reason: SIGSYS}
  - name: malformed profile
    workload: {command: ["true"]}
    seccomp: profiles/broken.json
    expect: {outcome: CreateContainerError, reason: decoding seccomp profile}
  - name: unknown action
    workload: {command: ["true"]}
    seccomp: profiles/bad-action.json
    expect: {outcome: CreateContainerError, reason: unknown action}
  - name: notify needs an agent
    workload: {command: ["true"]}
    seccomp: profiles/notify.json
    expect: {outcome: Running}
  - name: pod manifests need kubernetes
    pod: plan.yaml
    expect: {outcome: Running}
  - name: not on this host
    workload: {image: busybox, command: [no-such-program-here]}
    expect: {outcome: Running}
  - name: port in use
    workload: {command: [sleep, "60"], ports: [%[2]d]}
    expect: {outcome: Running}
  - name: AppArmor without AppArmor
    workload: {command: [sleep, "60"]}
    apparmor: runtime/default
    expect: {outcome: Blocked, reason: AppArmor is not enabled}
    when: [{apparmor: enabled, expect: {outcome: Running}}]
`, prb, busy), harness.Options{})
	want := map[string]harness.Status{
		"notify needs an agent": harness.Skipped, "pod manifests need kubernetes": harness.Skipped,
		"not on this host": harness.Skipped, "port in use": harness.Errored,
	}
	for _, c := range res.Cases {
		w, ok := want[c.Name]
		if !ok {
			w = harness.Passed
		}
		if c.Status != w {
			t.Errorf("%s: %s, want %s\n%s", c.Name, c.Status, w, describe(c))
		}
	}
	if c := caseByName(t, res, "port in use"); !strings.Contains(c.Error, "in use on this host") {
		t.Errorf("port in use: %s", c.Error)
	}
	noProcesses(t, prb)
}

// TestStartCancelled: a start cut short by cancellation returns, and
// Close still returns, with nothing left running.
func TestStartCancelled(t *testing.T) {
	dir := planDir(t, map[string][]byte{})
	marker := strconv.Itoa(300000 + os.Getpid()%50000)
	p := filepath.Join(dir, "plan.yaml")
	os.WriteFile(p, []byte(fmt.Sprintf("cases:\n  - {name: a, workload: {command: [sh, -c, \"sleep %s\"]}, expect: {outcome: Running}}\n", marker)), 0o644)
	pl, err := harness.LoadPlan(p, harness.PlanSource{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(harness.BackendConfig{Plan: pl})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		done := make(chan struct{})
		go func() {
			defer close(done)
			if in, err := b.Start(ctx, pl.Cases[0]); err == nil {
				in.Stop(context.Background())
			}
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("Start with a cancelled context hangs")
		}
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	noProcesses(t, "sleep "+marker)
}
