package local

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/harness"
	"github.com/secprof/secprof/harness/filter"
	"github.com/secprof/secprof/harness/record"
)

// repo is the repository root, where the fixtures live.
const repo = "../.."

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// fixtures builds http-echo and the probe once per test binary, into a
// temporary directory of the first test that needs them.
func fixtures(t testing.TB) (echo, prb string) {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "secprof-local-test-")
		if buildErr != nil {
			return
		}
		for _, w := range []string{"http-echo", "probe"} {
			if _, buildErr = harness.GoBuild(context.Background(), filepath.Join(repo, "fixtures/workloads", w), filepath.Join(buildDir, w)); buildErr != nil {
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "http-echo"), filepath.Join(buildDir, "probe")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// freePort returns a TCP port free on this host now.
func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// planDir makes a plan directory holding the seed's seccomp profiles (and
// extra ones) under seccomp/profiles.
func planDir(t testing.TB, extra map[string][]byte) string {
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
		extra[n] = b
	}
	for n, b := range extra {
		if err := os.WriteFile(filepath.Join(prof, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runPlan(t testing.TB, dir, plan string, opts harness.Options) *harness.Result {
	t.Helper()
	p := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(p, []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	pl, err := harness.LoadPlan(p, harness.PlanSource{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := harness.Run(context.Background(), pl, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// noProcesses fails when a process whose command line mentions marker is
// still alive: everything the harness starts must be gone.
func noProcesses(t testing.TB, marker string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		left := processesMatching(marker)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes left behind: %v", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func processesMatching(marker string) []string {
	ents, _ := os.ReadDir("/proc")
	var out []string
	self := strconv.Itoa(os.Getpid())
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil || e.Name() == self {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || len(b) == 0 {
			continue
		}
		cmd := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(cmd, marker) {
			st, _ := os.ReadFile("/proc/" + e.Name() + "/stat")
			if i := strings.LastIndexByte(string(st), ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
				continue // a zombie: gone, only not yet reaped by a parent that is not us
			}
			out = append(out, e.Name()+": "+cmd)
		}
	}
	return out
}

func caseByName(t testing.TB, res *harness.Result, name string) harness.CaseResult {
	t.Helper()
	for _, c := range res.Cases {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no case %q", name)
	return harness.CaseResult{}
}

func describe(c harness.CaseResult) string {
	b, _ := json.MarshalIndent(c, "", "  ")
	return string(b)
}

// TestSeedScenario is the proof of the issue: the seed's scenario on the
// local backend.
func TestSeedScenario(t *testing.T) {
	echo, _ := fixtures(t)
	fine, err := os.ReadFile(filepath.Join(repo, "fixtures/seccomp/profiles/fine-grained.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := planDir(t, map[string][]byte{"fine-grained-without-bind.json": without(t, fine, "bind")})
	port := freePort(t)
	res := runPlan(t, dir, fmt.Sprintf(`
profiles: {seccomp: seccomp}
stableFor: 1s
cases:
  - name: audit
    workload: &echo {local: [%[1]s, "-text=just made some syscalls!", "-listen=127.0.0.1:%[2]d"], ports: [%[2]d]}
    seccomp: profiles/audit.json
    expect: {outcome: Running, http: {port: %[2]d, bodyContains: "just made some syscalls!"}}
  - name: violation
    workload: *echo
    seccomp: profiles/violation.json
    expect: {outcome: CrashLoopBackOff, reason: StartError}
  - name: fine-grained
    workload: *echo
    seccomp: profiles/fine-grained.json
    expect: {outcome: Running, http: [{port: %[2]d, bodyContains: "just made some syscalls!"}, {port: %[2]d, path: /health, bodyContains: ok}]}
  - name: fine-grained without bind
    workload: *echo
    seccomp: profiles/fine-grained-without-bind.json
    expect: {outcome: CrashLoopBackOff, denied: [bind]}
  - name: missing profile
    workload: *echo
    seccomp: profiles/nope.json
    expect: {outcome: CreateContainerError, reason: cannot load seccomp profile}
`, echo, port), harness.Options{})
	for _, c := range res.Cases {
		if c.Status != harness.Passed {
			t.Errorf("%s: %s\n%s", c.Name, c.Status, describe(c))
		}
	}
	if v := caseByName(t, res, "violation").Verdict; v == nil || !strings.Contains(v.Reason, "operation not permitted") {
		t.Errorf("violation: %+v", v)
	}
	if e := caseByName(t, res, "fine-grained without bind").Explanation; e == nil || strings.Join(e.Denied, ",") != "bind" {
		t.Errorf("explanation %+v", e)
	}
	noProcesses(t, echo)
}

// TestExplainNamesTheMissingSyscall: a case that expected Running fails,
// and the explanation names exactly the syscall taken out of the profile.
func TestExplainNamesTheMissingSyscall(t *testing.T) {
	echo, _ := fixtures(t)
	fine, err := os.ReadFile(filepath.Join(repo, "fixtures/seccomp/profiles/fine-grained.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range []string{"bind", "socket", "epoll_create1"} {
		t.Run(sc, func(t *testing.T) {
			dir := planDir(t, map[string][]byte{"minus.json": without(t, fine, sc)})
			port := freePort(t)
			res := runPlan(t, dir, fmt.Sprintf(`
profiles: {seccomp: seccomp}
stableFor: 1s
cases:
  - name: minus %[3]s
    workload: {local: [%[1]s, "-text=hi", "-listen=127.0.0.1:%[2]d"], ports: [%[2]d]}
    seccomp: profiles/minus.json
    expect: {outcome: Running, http: {port: %[2]d, bodyContains: hi}}
`, echo, port, sc), harness.Options{})
			c := res.Cases[0]
			if c.Status != harness.FailedS || c.Verdict == nil || c.Verdict.Outcome != harness.CrashLoopBackOff {
				t.Fatalf("want a CrashLoopBackOff failure:\n%s", describe(c))
			}
			if c.Explanation == nil || len(c.Explanation.Denied) != 1 || c.Explanation.Denied[0] != sc {
				t.Fatalf("explanation does not name %s:\n%s", sc, describe(c))
			}
			var text strings.Builder
			harness.WriteText(&text, res, false)
			if !strings.Contains(text.String(), "denied: "+sc+" — add them to the allow list") {
				t.Fatalf("text report:\n%s", text.String())
			}
			noProcesses(t, echo)
		})
	}
}

// without returns the profile minus one allowed syscall.
func without(t testing.TB, profile []byte, name string) []byte {
	t.Helper()
	var p filter.Profile
	if err := json.Unmarshal(profile, &p); err != nil {
		t.Fatal(err)
	}
	found := false
	for i, r := range p.Syscalls {
		var keep []string
		for _, n := range r.Names {
			if n == name {
				found = true
				continue
			}
			keep = append(keep, n)
		}
		p.Syscalls[i].Names = keep
	}
	if !found {
		t.Fatalf("%s is not in the profile", name)
	}
	b, _ := json.Marshal(p)
	return b
}

// TestRecordThenRun: secprof record's profile lets the server run and
// answer, under the local backend.
func TestRecordThenRun(t *testing.T) {
	echo, _ := fixtures(t)
	port := freePort(t)
	ctx := context.Background()
	// Serve a request while recording so the serving path is recorded too.
	go func() {
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	res, err := record.Run(ctx, record.Options{Argv: []string{echo, "-text=recorded", fmt.Sprintf("-listen=127.0.0.1:%d", port)},
		Duration: 2 * time.Second, NoNewPrivs: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != -1 {
		t.Fatalf("the server ended during the recording: %+v", res)
	}
	var js strings.Builder
	if err := record.WriteProfile(&js, res.Profile(), record.FormatJSON, "http-echo"); err != nil {
		t.Fatal(err)
	}
	for _, must := range []string{"accept4", "bind", "execve", "listen"} {
		if !strings.Contains(js.String(), `"`+must+`"`) {
			t.Errorf("recorded profile lacks %s", must)
		}
	}
	dir := planDir(t, map[string][]byte{"recorded.json": []byte(js.String())})
	port2 := freePort(t)
	out := runPlan(t, dir, fmt.Sprintf(`
profiles: {seccomp: seccomp}
stableFor: 1s
cases:
  - name: recorded profile runs the server
    workload: {local: [%[1]s, "-text=recorded", "-listen=127.0.0.1:%[2]d"], ports: [%[2]d]}
    seccomp: profiles/recorded.json
    expect: {outcome: Running, http: {port: %[2]d, bodyContains: recorded}}
`, echo, port2), harness.Options{})
	if c := out.Cases[0]; c.Status != harness.Passed {
		t.Fatalf("%s\nprofile:\n%s", describe(c), js.String())
	}
	// The SPO form holds the same rule.
	var spo strings.Builder
	if err := record.WriteProfile(&spo, res.Profile(), record.FormatSPO, "HTTP Echo!"); err != nil {
		t.Fatal(err)
	}
	p, err := filter.Parse([]byte(spo.String()))
	if err != nil || len(p.Syscalls) != 1 || len(p.Syscalls[0].Names) != len(res.Syscalls) || !strings.Contains(spo.String(), "name: http-echo") {
		t.Fatalf("SPO form: %v\n%s", err, spo.String())
	}
	noProcesses(t, echo)
}

// TestFixturePlan runs the repository's own .secprof.yaml plan.
func TestFixturePlan(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the fixture images")
	}
	for _, p := range []int{5678} {
		if ln, err := net.Listen("tcp", fmt.Sprintf(":%d", p)); err != nil {
			t.Skipf("port %d, which the fixture plan uses, is busy on this host", p)
		} else {
			ln.Close()
		}
	}
	cfg, err := config.Load(filepath.Join(repo, config.DefaultFile))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := harness.PlanFromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := harness.Run(context.Background(), plan, harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cases {
		if c.Status != harness.Passed {
			t.Errorf("%s: %s\n%s", c.Name, c.Status, describe(c))
		}
	}
	if res.Env.AppArmor {
		return
	}
	if c := caseByName(t, res, "deny-write profile blocks writes"); c.When != "apparmor=disabled" || c.Verdict.Outcome != harness.Blocked {
		t.Errorf("deny-write without AppArmor: %s", describe(c))
	}
}

// TestCancelKillsEverything: cancelling a run (Ctrl-C) kills the
// workloads' whole process groups, children included.
func TestCancelKillsEverything(t *testing.T) {
	dir := planDir(t, map[string][]byte{})
	// The background children must die too: they carry the marker as a
	// sleep duration no other process uses.
	marker := strconv.Itoa(200000 + os.Getpid()%50000)
	script := fmt.Sprintf("sleep %s & sleep %s", marker, marker)
	p := filepath.Join(dir, "plan.yaml")
	os.WriteFile(p, []byte(fmt.Sprintf(`
profiles: {seccomp: seccomp}
stableFor: 1m
cases:
  - {name: a, workload: {command: [sh, -c, %[1]q]}, seccomp: profiles/audit.json, expect: {outcome: Running}}
  - {name: b, workload: {command: [sh, -c, %[1]q]}, expect: {outcome: Running}}
  - {name: c, workload: {command: [sh, -c, %[1]q]}, expect: {outcome: Running}}
`, script)), 0o644)
	pl, err := harness.LoadPlan(p, harness.PlanSource{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Cancel once the workloads and their children run.
		for len(processesMatching("sleep "+marker)) < 4 {
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
	}()
	res, err := harness.Run(ctx, pl, harness.Options{Parallel: 2})
	if err == nil {
		t.Fatal("want the cancellation reported")
	}
	if res.Errors != 3 {
		t.Errorf("want every case errored, got %+v", res.Cases)
	}
	noProcesses(t, marker)
}

// TestGlobalTimeout: the run's timeout ends it and cleans up too.
func TestGlobalTimeout(t *testing.T) {
	dir := planDir(t, map[string][]byte{})
	marker := strconv.Itoa(250000 + os.Getpid()%50000)
	res := func() *harness.Result {
		p := filepath.Join(dir, "plan.yaml")
		os.WriteFile(p, []byte(fmt.Sprintf(`
timeout: 1s
stableFor: 1m
cases:
  - {name: a, workload: {command: [sh, -c, "sleep %[1]s & sleep %[1]s"]}, expect: {outcome: Running}}
`, marker)), 0o644)
		pl, err := harness.LoadPlan(p, harness.PlanSource{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := harness.Run(context.Background(), pl, harness.Options{})
		if err == nil || !strings.Contains(err.Error(), "timeout of 1s") {
			t.Errorf("want the timeout as error, got %v", err)
		}
		return res
	}()
	if c := res.Cases[0]; c.Status != harness.Errored || !strings.Contains(c.Error, "timeout") {
		t.Errorf("case: %s", describe(c))
	}
	noProcesses(t, marker)
}
