package harness

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secprof/secprof/harness/probe"
)

// scripted is a backend for runner tests: each case's workload command
// names a script of observations ("run", "exit:N", "start-error",
// "create-error", "reject", "infra", "hang", "skip").
type scripted struct {
	mu      sync.Mutex
	started int
	stopped int
	closed  bool
}

func newScripted(BackendConfig) *scripted { return &scripted{} }

var lastScripted *scripted

func (s *scripted) Prepare(context.Context) (Env, error) {
	lastScripted = s
	return Env{Runtime: "scripted"}, nil
}

func (s *scripted) Close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

type scriptedInst struct {
	s    *scripted
	ch   chan Observation
	stop chan struct{}
	once sync.Once
}

func (s *scripted) Start(ctx context.Context, c *Case) (Instance, error) {
	script := c.Workload.Command[0]
	if script == "skip" {
		return nil, Skip("cannot do that here")
	}
	if script == "fail-start" {
		return nil, errors.New("daemon unreachable")
	}
	s.mu.Lock()
	s.started++
	s.mu.Unlock()
	in := &scriptedInst{s: s, ch: make(chan Observation, 8), stop: make(chan struct{})}
	go func() {
		defer close(in.ch)
		send := func(o Observation) bool {
			select {
			case in.ch <- o:
				return true
			case <-in.stop:
				return false
			}
		}
		if !send(Created()) {
			return
		}
		switch {
		case script == "run":
			send(Started())
		case strings.HasPrefix(script, "exit:"):
			send(Started())
			code := 0
			if script != "exit:0" {
				code = 1
			}
			send(Exited(code, "", false, ""))
		case script == "start-error":
			send(StartFailed("exec: operation not permitted"))
		case script == "create-error":
			send(CreateFailed("cannot load seccomp profile"))
		case script == "reject":
			send(Rejected(ReasonAppArmor, "Cannot enforce AppArmor: AppArmor is not enabled on the host"))
		case script == "infra":
			send(Waiting("ErrImagePull", "no registry"))
		case script == "hang":
			send(Waiting(ReasonContainerCreating, ""))
		}
		<-in.stop
	}()
	return in, nil
}

func (i *scriptedInst) Observations() <-chan Observation { return i.ch }
func (i *scriptedInst) Exec(ctx context.Context, argv []string) (ExecResult, error) {
	if argv[0] == "touch" {
		return ExecResult{ExitCode: 1, Output: "touch: /tmp/test: Permission denied\n"}, nil
	}
	return ExecResult{}, nil
}
func (i *scriptedInst) Address(ctx context.Context, port int) (string, error) {
	return "", errors.New("no network in the scripted backend")
}
func (i *scriptedInst) Probe(ctx context.Context, syscalls []string) (*probe.Report, error) {
	r := &probe.Report{Seccomp: "filter"}
	for _, s := range syscalls {
		res := probe.Allowed
		if s == "mkdir" {
			res = probe.Denied
		}
		r.Syscalls = append(r.Syscalls, probe.Syscall{Name: s, Result: res})
	}
	return r, nil
}
func (i *scriptedInst) Logs(ctx context.Context, n int) []string { return []string{"a log line"} }
func (i *scriptedInst) Stop(ctx context.Context) error {
	i.once.Do(func() {
		close(i.stop)
		i.s.mu.Lock()
		i.s.stopped++
		i.s.mu.Unlock()
	})
	return nil
}

func TestRunScripted(t *testing.T) {
	p := writePlanDir(t, `
backend: fake
stableFor: 50ms
cases:
  - {name: runs, workload: {command: [run]}, expect: {outcome: Running, exec: [{command: [touch, /tmp/test], exitCode: 1, outputContains: Permission denied}], syscalls: {denied: [mkdir], allowed: [read]}, seccompMode: filter}}
  - {name: crashes, workload: {command: [start-error]}, expect: {outcome: CrashLoopBackOff, reason: StartError}}
  - {name: completes, workload: {command: ["exit:0"], restartPolicy: Never}, expect: {outcome: Completed}}
  - {name: wrong, workload: {command: ["exit:1"]}, expect: {outcome: Running}}
  - {name: missing, workload: {command: [create-error]}, expect: {outcome: CreateContainerError}}
  - name: blocked
    workload: {command: [reject]}
    expect: {outcome: Running}
    when: [{apparmor: disabled, expect: {outcome: Blocked}}]
  - {name: pull, workload: {command: [infra]}, expect: {outcome: Running}}
  - {name: stuck, timeout: 200ms, workload: {command: [hang]}, expect: {outcome: Running}}
  - {name: skipped, workload: {command: [skip]}, expect: {outcome: Running}}
  - {name: explicit skip, skip: not today, workload: {command: [run]}, expect: {outcome: Running}}
  - {name: daemon, workload: {command: [fail-start]}, expect: {outcome: Running}}
`, nil)
	plan, err := LoadPlan(p, PlanSource{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), plan, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Status{"runs": Passed, "crashes": Passed, "completes": Passed, "wrong": FailedS, "missing": Passed,
		"blocked": Passed, "pull": Errored, "stuck": Errored, "skipped": Skipped, "explicit skip": Skipped, "daemon": Errored}
	for _, c := range res.Cases {
		if c.Status != want[c.Name] {
			t.Errorf("%s: status %s, want %s (failures %v, error %q)", c.Name, c.Status, want[c.Name], c.Failures, c.Error)
		}
	}
	if res.ExitCode() != 2 || res.Passed != 5 || res.Failed != 1 || res.Skipped != 2 || res.Errors != 3 {
		t.Errorf("counts %+v", res)
	}
	s := lastScripted
	if s.started != s.stopped || !s.closed {
		t.Errorf("started %d, stopped %d, closed %v", s.started, s.stopped, s.closed)
	}
	if got := res.Cases[5].When; got != "apparmor=disabled" {
		t.Errorf("when = %q", got)
	}
	if !strings.Contains(strings.Join(res.Cases[3].Failures, ";"), "expected Running, got CrashLoopBackOff") {
		t.Errorf("failures %v", res.Cases[3].Failures)
	}
	var text strings.Builder
	if err := WriteText(&text, res, false); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"FAILED wrong", "expected Running, got CrashLoopBackOff", "ERROR pull", "infrastructure: ErrImagePull", "SKIPPED skipped", "Blocked [when apparmor=disabled]", "5 passed, 1 failed, 2 skipped, 3 errors"} {
		if !strings.Contains(text.String(), w) {
			t.Errorf("text report lacks %q:\n%s", w, text.String())
		}
	}
}

func TestRunCancelCleansUp(t *testing.T) {
	p := writePlanDir(t, `
backend: fake
parallel: 2
cases:
  - {name: a, workload: {command: [hang]}, expect: {outcome: Running}}
  - {name: b, workload: {command: [hang]}, expect: {outcome: Running}}
  - {name: c, workload: {command: [hang]}, expect: {outcome: Running}}
`, nil)
	plan, err := LoadPlan(p, PlanSource{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	res, err := Run(ctx, plan, Options{})
	if err == nil {
		t.Fatal("want the cancellation as error")
	}
	if res.Errors != 3 {
		t.Fatalf("want 3 errored cases, got %+v", res.Cases)
	}
	s := lastScripted
	if s.started != s.stopped || !s.closed {
		t.Errorf("started %d, stopped %d, closed %v", s.started, s.stopped, s.closed)
	}
}

// twice runs every case twice, as the cluster backend's --all-nodes does
// once per node.
type twice struct{ *scripted }

func (t twice) ExpandCase(c *Case) []*Case {
	a, b := *c, *c
	a.Name, b.Name = c.Name+" @a", c.Name+" @b"
	return []*Case{&a, &b}
}

func TestRunExpandsCasesWithoutChangingThePlan(t *testing.T) {
	Register(BackendSpec{Name: "fake-twice", Summary: "test backend", New: func(cfg BackendConfig) (Backend, error) { return twice{newScripted(cfg)}, nil }})
	p := writePlanDir(t, `
backend: fake-twice
stableFor: 50ms
cases:
  - {name: runs, workload: {command: [run]}, expect: {outcome: Running}}
  - {name: other, workload: {command: [run]}, expect: {outcome: Running}}
`, nil)
	plan, err := LoadPlan(p, PlanSource{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), plan, Options{Run: "^runs$"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range res.Cases {
		names = append(names, c.Name+":"+string(c.Status))
	}
	if got := strings.Join(names, ","); got != "runs @a:passed,runs @b:passed" {
		t.Errorf("cases %s", got)
	}
	if len(plan.Cases) != 2 || plan.Cases[0].Name != "runs" {
		t.Errorf("the plan changed: %v", plan.Cases)
	}
}
