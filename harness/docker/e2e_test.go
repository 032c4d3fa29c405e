package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/harness"
	_ "github.com/secprof/secprof/harness/local" // the fixture plan names it
	"github.com/secprof/secprof/harness/probe"
)

// End-to-end tests against a real Docker engine (see requireEngine).

// logTo returns a writer for harness progress that goes to the test log.
type testLog struct{ t testing.TB }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func caseResult(t *testing.T, res *harness.Result, name string) harness.CaseResult {
	t.Helper()
	for _, c := range res.Cases {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no case %q in the result", name)
	return harness.CaseResult{}
}

func describe(c harness.CaseResult) string {
	b, _ := json.MarshalIndent(c, "", "  ")
	return string(b)
}

// TestFixturePlan runs the repository's own test plan (.secprof.yaml,
// the seed scenario) unchanged on docker: the plan that passes on the
// local backend must pass here.
func TestFixturePlan(t *testing.T) {
	requireEngine(t)
	cli := rawClient(t)
	cfg, err := config.Load(filepath.Join(repo, config.DefaultFile))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := harness.PlanFromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := harness.Run(context.Background(), plan, harness.Options{Backend: "docker", Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer assertClean(t, cli)
	if res.Backend != "docker" || len(res.Cases) != len(plan.Cases) {
		t.Fatalf("ran %d cases on %s", len(res.Cases), res.Backend)
	}
	for _, c := range res.Cases {
		if c.Status != harness.Passed {
			t.Errorf("case %q: %s\n%s", c.Name, c.Status, describe(c))
		}
	}
	// What the seed scenario is about, checked on the verdicts themselves
	// (not only on the plan's expectations).
	seen := map[string]bool{}
	for i, pc := range plan.Cases {
		r := res.Cases[i]
		if r.Verdict == nil {
			continue
		}
		switch {
		case pc.SeccompRef.Path == "profiles/audit.json" && pc.Expect.Outcome == harness.Running:
			seen["audit"] = r.Verdict.Outcome == harness.Running && checksPassed(r, "http")
		case pc.SeccompRef.Path == "profiles/violation.json":
			// runc cannot exec the process under a deny-all filter and
			// says so; the verdict carries the runtime's own words.
			seen["violation"] = r.Verdict.Outcome == harness.CrashLoopBackOff && strings.Contains(r.Verdict.Reason, "cannot start a stopped process")
		case pc.SeccompRef.Path == "profiles/fine-grained.json":
			seen["fine-grained"] = r.Verdict.Outcome == harness.Running && checksPassed(r, "http")
		case pc.SeccompRef.Missing:
			seen["missing"] = r.Verdict.Outcome == harness.CreateContainerError
		case pc.SeccompRef.Kind == harness.SeccompRuntimeDefault:
			seen["runtime-default"] = r.Verdict.Outcome == harness.Running && checksPassed(r, "syscalls")
		case pc.AppArmorRef.Kind == harness.AppArmorLocalhost:
			want := harness.Blocked // this engine's host has no AppArmor
			if res.Env.AppArmor {
				want = pc.Expect.Outcome
			}
			seen["apparmor"] = r.Verdict.Outcome == want
		}
	}
	for _, k := range []string{"audit", "violation", "fine-grained", "missing", "runtime-default", "apparmor"} {
		if !seen[k] {
			t.Errorf("the %s case did not end as the seed scenario says", k)
		}
	}
}

func checksPassed(r harness.CaseResult, kind string) bool {
	n := 0
	for _, c := range r.Checks {
		if c.Kind == kind {
			if !c.Passed {
				return false
			}
			n++
		}
	}
	return n > 0
}

// scenarioDir writes a plan with the given cases into a temporary
// directory whose seccomp root holds the repository's fixture profiles
// plus extra ones. Its workloads are the images hack/build-images.sh
// imports (busybox applets and /probe inside).
func scenarioDir(t testing.TB, cases string, extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	prof := filepath.Join(dir, "seccomp", "profiles")
	if err := os.MkdirAll(prof, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"audit.json", "violation.json", "fine-grained.json"} {
		b, err := os.ReadFile(filepath.Join(repo, "fixtures/seccomp/profiles", n))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(prof, n), b, 0o644)
	}
	for n, c := range extra {
		os.WriteFile(filepath.Join(prof, n), []byte(c), 0o644)
	}
	plan := "backend: docker\ntimeout: 5m\nparallel: 4\nstableFor: 2s\nprofiles: {seccomp: seccomp}\ncases:\n" + cases
	p := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(p, []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestScenario covers what the fixture plan does not: exec checks, the
// exit of run-to-completion workloads under each restart policy, a crash
// loop seen as one case, a seccomp kill, Unconfined, an invalid action
// runc rejects, a malformed profile, and a missing image as an error.
// Cases that must end get a long stableFor: it costs nothing when they
// end, and a loaded machine can take seconds to get a process to its exit.
func TestScenario(t *testing.T) {
	requireImages(t)
	cli := rawClient(t)
	p := scenarioDir(t, `
  - name: audit with exec checks
    workload: {image: secprof/http-echo:dev, command: [/http-echo], args: ["-text=hello from docker"]}
    seccomp: profiles/audit.json
    expect:
      outcome: Running
      http: {port: 5678, path: /health, bodyContains: ok}
      exec:
        - {command: [sh, -c, "echo out; echo err >&2; exit 3"], exitCode: 3, outputContains: err}
        - {command: [touch, /tmp/x], exitCode: 0}
        - {command: [no-such-program], exitCode: 126, outputContains: executable file not found}
      syscalls: {allowed: [getpid, mkdirat]}
      seccompMode: filter
  - name: unconfined
    workload: {image: secprof/probe:dev, command: [/probe, -sleep]}
    seccomp: Unconfined
    expect: {outcome: Running, seccompMode: disabled}
  - name: crash loop under restartPolicy Always
    stableFor: 1m
    workload: {image: secprof/http-echo:dev, command: [/http-echo]}
    expect: {outcome: CrashLoopBackOff, exitCode: 1}
  - name: failure under restartPolicy Never
    stableFor: 1m
    workload: {image: secprof/probe:dev, command: [sh, -c, "exit 3"], restartPolicy: Never}
    expect: {outcome: Failed, exitCode: 3}
  - name: failure under restartPolicy OnFailure
    stableFor: 1m
    workload: {image: secprof/probe:dev, command: [sh, -c, "exit 4"], restartPolicy: OnFailure}
    expect: {outcome: CrashLoopBackOff, exitCode: 4}
  - name: completion under restartPolicy OnFailure
    stableFor: 1m
    workload: {image: secprof/probe:dev, command: [sh, -c, "exit 0"], restartPolicy: OnFailure}
    expect: {outcome: Completed, exitCode: 0}
  - name: seccomp kill
    stableFor: 1m
    workload: {image: secprof/probe:dev, command: [sh, -c, "mkdir /tmp/d"], restartPolicy: Never}
    seccomp: profiles/kill-mkdir.json
    expect: {outcome: Failed, reason: SIGSYS, exitCode: 159}
  - name: an action runc does not know
    workload: {image: secprof/probe:dev, command: [/probe, -sleep]}
    seccomp: profiles/bogus-action.json
    expect: {outcome: CrashLoopBackOff, reason: is not a valid action}
  - name: a malformed profile
    workload: {image: secprof/probe:dev, command: [/probe, -sleep]}
    seccomp: profiles/malformed.json
    expect: {outcome: CreateContainerError, reason: cannot load seccomp profile}
  - name: a profile dockerd cannot decode
    workload: {image: secprof/probe:dev, command: [/probe, -sleep]}
    seccomp: profiles/wrong-type.json
    expect: {outcome: CreateContainerError, reason: Decoding seccomp profile failed}
  - name: missing image
    workload: {image: secprof/does-not-exist:never, command: [x]}
    expect: {outcome: Running}
`, map[string]string{
		"kill-mkdir.json":   `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_KILL_PROCESS"}]}`,
		"bogus-action.json": `{"defaultAction":"SCMP_ACT_BOGUS"}`,
		"malformed.json":    `{"defaultAction": `,
		"wrong-type.json":   `{"defaultAction": 5}`,
	})
	plan, err := harness.LoadPlan(p, harness.PlanSource{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := harness.Run(context.Background(), plan, harness.Options{Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d cases in %s", len(res.Cases), time.Since(start).Round(time.Millisecond))
	defer assertClean(t, cli)
	for _, c := range res.Cases {
		want := harness.Passed
		if c.Name == "missing image" {
			want = harness.Errored
		}
		if c.Status != want {
			t.Errorf("case %q: %s, want %s\n%s", c.Name, c.Status, want, describe(c))
		}
	}
	// An image the engine lacks and cannot pull is an infrastructure
	// error that says so, never a verdict.
	mi := caseResult(t, res, "missing image")
	if mi.Verdict != nil || !strings.Contains(mi.Error, "secprof/does-not-exist:never is not on the Docker engine") || !strings.Contains(mi.Error, "could not be pulled") {
		t.Errorf("missing image: %s", describe(mi))
	}
	if res.ExitCode() != 2 {
		t.Errorf("exit code %d, want 2 for an infrastructure error", res.ExitCode())
	}
	// The crash loop is one case: restarts are counted, not reported as
	// new cases, and the verdict came from the first exit.
	cl := caseResult(t, res, "crash loop under restartPolicy Always")
	if cl.Verdict == nil || !strings.Contains(cl.Verdict.Reason, "Error (exit code 1)") {
		t.Errorf("crash loop: %s", describe(cl))
	}
}

// TestRestartsCounted watches a crash loop past the verdict: the engine's
// restart policy restarts the container and the backend reports each
// restart with its count.
func TestRestartsCounted(t *testing.T) {
	requireImages(t)
	cli := rawClient(t)
	p := scenarioDir(t, `
  - name: crash loop
    workload: {image: secprof/probe:dev, command: [sh, -c, "exit 2"]}
    expect: {outcome: CrashLoopBackOff}
`, nil)
	plan, err := harness.LoadPlan(p, harness.PlanSource{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(harness.BackendConfig{Plan: plan, Builds: mustBuilds(t, plan), Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	defer func() {
		if err := b.Close(context.Background()); err != nil {
			t.Error(err)
		}
		assertClean(t, cli)
	}()
	if _, err := b.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	inst, err := b.Start(ctx, plan.Cases[0])
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Stop(context.Background())
	var kinds []string
	exits, restarts := 0, 0
	for o := range inst.Observations() {
		kinds = append(kinds, o.String())
		switch o.Kind {
		case harness.ObsTerminated:
			exits++
			if o.ExitCode != 2 {
				t.Errorf("exit %s", o)
			}
		case harness.ObsRestarted:
			restarts++
			if o.RestartCount != restarts {
				t.Errorf("restart count %d, want %d", o.RestartCount, restarts)
			}
		}
		if restarts >= 2 {
			break
		}
	}
	if restarts < 2 || exits < 2 {
		t.Errorf("saw %d exits and %d restarts: %v", exits, restarts, kinds)
	}
}

func mustBuilds(t testing.TB, plan *harness.Plan) *harness.Builds {
	t.Helper()
	bd, err := harness.NewBuilds(plan)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bd.Close() })
	return bd
}

// TestCancelCleansUp cancels a run while its containers run (what Ctrl-C
// does through the CLI's context) and then a run whose timeout expires:
// nothing with the run's labels may remain.
func TestCancelCleansUp(t *testing.T) {
	requireImages(t)
	cli := rawClient(t)
	for _, mode := range []string{"cancel", "timeout"} {
		t.Run(mode, func(t *testing.T) {
			marker := fmt.Sprintf("cancel-test-%d-%s", time.Now().UnixNano(), mode)
			var cases strings.Builder
			for i := 0; i < 3; i++ {
				fmt.Fprintf(&cases, `
  - name: %s-%d
    workload: {image: secprof/http-echo:dev, command: [/http-echo, "-text=%d"]}
    seccomp: profiles/audit.json
    stableFor: 5m
    timeout: 10m
    expect: {outcome: Running}
`, marker, i, i)
			}
			p := scenarioDir(t, cases.String(), nil)
			plan, err := harness.LoadPlan(p, harness.PlanSource{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			opts := harness.Options{Log: testLog{t}}
			if mode == "timeout" {
				opts.Timeout = time.Minute
			}
			type ran struct {
				res *harness.Result
				err error
			}
			done := make(chan ran, 1)
			go func() {
				res, err := harness.Run(ctx, plan, opts)
				done <- ran{res, err}
			}()
			// Wait until all three containers run.
			f := filters.NewArgs(filters.Arg("status", "running"))
			var runID string
			deadline := time.Now().Add(3 * time.Minute)
			for {
				cs, err := cli.ContainerList(context.Background(), container.ListOptions{Filters: f})
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, c := range cs {
					if strings.HasPrefix(c.Labels[LabelCase], marker) {
						n++
						runID = c.Labels[LabelRun]
					}
				}
				if n == 3 {
					break
				}
				select {
				case r := <-done:
					t.Fatalf("the run ended before its containers ran: %v %+v", r.err, r.res)
				default:
				}
				if time.Now().After(deadline) {
					cancel()
					r := <-done
					t.Fatalf("the containers did not start: %v %+v", r.err, r.res)
				}
				time.Sleep(200 * time.Millisecond)
			}
			if mode == "cancel" {
				cancel()
			}
			var r ran
			select {
			case r = <-done:
			case <-time.After(4 * time.Minute):
				t.Fatal("the run did not end after cancellation")
			}
			if r.err == nil {
				t.Errorf("a cancelled run returned no error")
			}
			if r.res != nil {
				for _, c := range r.res.Cases {
					if c.Status == harness.Passed || c.Status == harness.FailedS {
						t.Errorf("case %q got a verdict after cancellation: %s", c.Name, describe(c))
					}
				}
			}
			if left := leftovers(t, cli, filters.NewArgs(filters.Arg("label", LabelRun+"="+runID))); len(left) > 0 {
				t.Errorf("left behind by run %s:\n%s", runID, strings.Join(left, "\n"))
			}
			assertClean(t, cli)
		})
	}
}

// TestCancelEarly cancels runs at moments when containers are being
// created and started: whatever the engine made must still go.
func TestCancelEarly(t *testing.T) {
	requireImages(t)
	cli := rawClient(t)
	var cases strings.Builder
	for i := 0; i < 4; i++ {
		fmt.Fprintf(&cases, `
  - name: early-%d
    workload: {image: secprof/http-echo:dev, command: [/http-echo, "-text=%d"]}
    seccomp: profiles/audit.json
    stableFor: 5m
    expect: {outcome: Running}
`, i, i)
	}
	p := scenarioDir(t, cases.String(), nil)
	plan, err := harness.LoadPlan(p, harness.PlanSource{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{0, 50 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond, 1500 * time.Millisecond} {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(d, cancel)
		start := time.Now()
		_, err := harness.Run(ctx, plan, harness.Options{})
		cancel()
		if err == nil {
			t.Errorf("cancel after %s: no error", d)
		}
		if took := time.Since(start); took > 2*time.Minute {
			t.Errorf("cancel after %s: the run took %s to end", d, took)
		}
		assertClean(t, cli)
	}
}

// TestEngineDown: with no engine at DOCKER_HOST the run fails as a whole
// (the CLI exits 2), naming DOCKER_HOST and the socket; nothing hangs.
func TestEngineDown(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/secprof/docker.sock")
	p := scenarioDir(t, `
  - name: audit
    workload: {image: secprof/http-echo:dev, command: [/http-echo, "-text=x"]}
    expect: {outcome: Running}
`, nil)
	plan, err := harness.LoadPlan(p, harness.PlanSource{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := harness.Run(ctx, plan, harness.Options{})
	var ee *EngineError
	if res != nil || !errors.As(err, &ee) {
		t.Fatalf("got %+v, %v", res, err)
	}
	for _, want := range []string{"DOCKER_HOST", "/nonexistent/secprof/docker.sock"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not name %s", err, want)
		}
	}
}

// TestProbeBaseline checks the probe report against the engine directly:
// under Docker's default profile add_key is denied, and reboot fails with
// EPERM for lack of CAP_SYS_BOOT with or without the profile — the
// baseline container keeps it from being taken for denied.
func TestProbeBaseline(t *testing.T) {
	requireImages(t)
	cli := rawClient(t)
	p := scenarioDir(t, `
  - name: runtime default
    workload: {image: secprof/probe:dev, command: [/probe, -sleep]}
    seccomp: RuntimeDefault
    expect: {outcome: Running}
`, nil)
	plan, err := harness.LoadPlan(p, harness.PlanSource{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(harness.BackendConfig{Plan: plan, Builds: mustBuilds(t, plan), Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	defer func() {
		b.Close(context.Background())
		assertClean(t, cli)
	}()
	if _, err := b.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	inst, err := b.Start(ctx, plan.Cases[0])
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Stop(context.Background())
	for o := range inst.Observations() {
		if o.Kind == harness.ObsRunning {
			break
		}
		if o.Kind == harness.ObsTerminated {
			t.Fatalf("probe container ended: %s", o)
		}
	}
	rep, err := inst.Probe(ctx, []string{"add_key", "reboot", "getpid"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"add_key": probe.Denied, "reboot": probe.Allowed, "getpid": probe.Allowed}
	for n, res := range want {
		s, ok := rep.Find(n)
		if !ok || s.Result != res {
			t.Errorf("%s: %+v, want %s", n, s, res)
		}
	}
	if rep.Seccomp != "filter" || !rep.NoNewPrivs {
		t.Errorf("report %+v", rep)
	}
	addr, err := inst.Address(ctx, 5678)
	if err == nil {
		t.Errorf("an unpublished port has an address: %s", addr)
	}
}
