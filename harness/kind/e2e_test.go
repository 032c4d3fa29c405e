package kind_test

// End-to-end tests of the kind and cluster backends on real kind clusters,
// made from the node image of the offline test environment (hack/,
// docs/offline-kind.md): `make test` exports SECPROF_KIND_NODE_IMAGE and
// DOCKER_HOST. Without them the tests skip, except in CI (CI=true) where
// they fail. Each cluster costs tens of seconds on two cores, so the tests
// make three: the seed scenario's, a two-node SeccompDefault cluster that
// the cluster backend then runs on too, and one that Ctrl-C interrupts.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/kind/pkg/cluster"

	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/harness"
	_ "github.com/secprof/secprof/harness/cluster"
	"github.com/secprof/secprof/harness/kind"
	"github.com/secprof/secprof/harness/kube"
	_ "github.com/secprof/secprof/harness/local"
)

// needKind returns the node image, or skips (fails in CI) without one.
func needKind(t testing.TB) string {
	t.Helper()
	img := os.Getenv(kind.EnvNodeImage)
	if img == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: in CI the offline kind environment must be built (make e2e-env, which make test runs) before the tests", kind.EnvNodeImage)
		}
		t.Skipf("%s is not set: run `make e2e-env` (as root) and `. .e2e/env` to run the kind end-to-end tests", kind.EnvNodeImage)
	}
	if _, err := exec.LookPath("docker"); err != nil {
		t.Fatalf("%s is set but there is no docker command: %v", kind.EnvNodeImage, err)
	}
	return img
}

func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// repoPlan is the repository's own fixture plan (.secprof.yaml): the same
// plan the local backend runs in make verify.
func repoPlan(t testing.TB) *harness.Plan {
	t.Helper()
	cfg, err := config.Load(filepath.Join(repoRoot(t), ".secprof.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := harness.PlanFromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// inlinePlan parses a plan as if it were a file at the repository's root,
// so that it can name the fixtures by their repository paths.
func inlinePlan(t testing.TB, name, yaml string) *harness.Plan {
	t.Helper()
	plan, err := harness.ParsePlanBytes(filepath.Join(repoRoot(t), name), []byte(yaml), harness.PlanSource{})
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// logWriter sends the harness's -v log to the test log.
type logWriter struct {
	t  testing.TB
	mu sync.Mutex
}

func (w *logWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		w.t.Log(l)
	}
	return len(b), nil
}

func clusterNames(t testing.TB) []string {
	t.Helper()
	names, err := cluster.NewProvider(cluster.ProviderWithDocker()).List()
	if err != nil {
		t.Fatalf("listing kind clusters: %v", err)
	}
	return names
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// clusterContainers lists every container (running or not) of a kind
// cluster, by kind's label.
func clusterContainers(t testing.TB, name string) []string {
	t.Helper()
	out, err := exec.Command("docker", "ps", "-a", "-q", "--filter", "label=io.x-k8s.kind.cluster="+name).Output()
	if err != nil {
		t.Fatalf("docker ps: %v", err)
	}
	return strings.Fields(string(out))
}

func byName(res *harness.Result) map[string]harness.CaseResult {
	m := map[string]harness.CaseResult{}
	for _, c := range res.Cases {
		m[c.Name] = c
	}
	return m
}

func reportFailures(t *testing.T, res *harness.Result) {
	t.Helper()
	var b strings.Builder
	if err := harness.WriteText(&b, res, true); err == nil {
		t.Log("\n" + b.String())
	}
	for _, c := range res.Cases {
		if c.Status != harness.Passed {
			t.Errorf("case %q: %s %s %s %v", c.Name, c.Status, c.Error, c.Skip, c.Failures)
		}
	}
}

// TestKindSeedScenario runs the repository's fixture plan — the seed
// tutorials' scenario, the same plan make verify runs on the local
// backend — on a kind cluster the backend creates and deletes.
func TestKindSeedScenario(t *testing.T) {
	img := needKind(t)
	plan := repoPlan(t)
	name := "secprof-e2e-seed-" + kube.RandomID(4)
	rec := kube.NewRecorder()
	kube.TestRecorder.Store(rec)
	defer kube.TestRecorder.Store(nil)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	res, err := harness.Run(ctx, plan, harness.Options{
		Backend:   "kind",
		Overrides: map[string]map[string]string{"kind": {"nodeImage": img, "clusterName": name}},
		Log:       &logWriter{t: t},
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	t.Logf("seed scenario on kind: %d passed, %d failed, %d skipped, %d errors in %s (env %+v)", res.Passed, res.Failed, res.Skipped, res.Errors, time.Since(start).Round(time.Millisecond), res.Env)
	reportFailures(t, res)

	cases := byName(res)
	want := map[string]struct {
		outcome harness.Outcome
		reason  string
	}{
		"audit profile runs the echo server":                        {harness.Running, ""},
		"violation profile crash-loops":                             {harness.CrashLoopBackOff, "StartError"},
		"fine-grained profile serves http":                          {harness.Running, ""},
		"fine-grained without bind crash-loops":                     {harness.CrashLoopBackOff, ""},
		"a missing profile fails container creation":                {harness.CreateContainerError, "cannot load seccomp profile"},
		"the runtime default profile denies kexec_load and add_key": {harness.Running, ""},
		"the probe runs to completion":                              {harness.Completed, ""},
		"deny-write profile blocks writes":                          {harness.Blocked, "AppArmor"},
	}
	if res.Env.AppArmor {
		want["deny-write profile blocks writes"] = struct {
			outcome harness.Outcome
			reason  string
		}{harness.Running, ""}
	}
	for n, w := range want {
		c, ok := cases[n]
		switch {
		case !ok:
			t.Errorf("case %q missing from the results", n)
		case c.Verdict == nil:
			t.Errorf("case %q: no verdict (%s)", n, c.Error)
		case c.Verdict.Outcome != w.outcome || !strings.Contains(c.Verdict.Reason, w.reason):
			t.Errorf("case %q: verdict %s, want %s (%s)", n, c.Verdict, w.outcome, w.reason)
		}
	}
	if c := cases["fine-grained profile serves http"]; len(c.Checks) != 2 {
		t.Errorf("fine-grained: want 2 http checks, got %+v", c.Checks)
	}
	if contains(clusterNames(t), name) || len(clusterContainers(t, name)) > 0 {
		t.Errorf("cluster %s left behind after the run", name)
	}
	if os.Getenv("SECPROF_RECORD_TESTDATA") == "1" {
		writeRecordings(t, rec, res, plan)
	}
}

// writeRecordings stores the pods the run watched as the classifier's
// testdata (harness/kube/testdata/pods), when asked to.
func writeRecordings(t *testing.T, rec *kube.Recorder, res *harness.Result, plan *harness.Plan) {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "harness", "kube", "testdata", "pods")
	for name, r := range rec.Recordings() {
		c := byName(res)[name]
		switch {
		case c.Verdict != nil:
			r.Expect = kube.RecordedExpect{Outcome: c.Verdict.Outcome, ReasonContains: firstWords(c.Verdict.Reason)}
		case c.Status == harness.Errored && strings.HasPrefix(c.Error, "infrastructure: "):
			r.Expect = kube.RecordedExpect{InfraError: firstWords(strings.TrimPrefix(c.Error, "infrastructure: "))}
		default:
			continue
		}
		r.Source = fmt.Sprintf("recorded from a real run of the repository's plan on kind (node image %s, %s, kubelet %s) on %s",
			os.Getenv(kind.EnvNodeImage), res.Env.Runtime, res.Env.Kubernetes, time.Now().UTC().Format("2006-01-02"))
		r.Kubelet = res.Env.Kubernetes
		r.RestartPolicy = "Always"
		for _, pc := range plan.Cases {
			if pc.Name == name && pc.Workload != nil {
				r.RestartPolicy = pc.Workload.RestartPolicy
			}
		}
		r.StableForMs = plan.StableFor.D().Milliseconds()
		r.ExitLagMs = kube.DefaultExitLag.Milliseconds()
		file := filepath.Join(dir, "v1.34-"+kube.Slug(name, 60)+".json")
		if err := kube.WriteRecording(file, r); err != nil {
			t.Fatal(err)
		}
		t.Logf("recorded %s", file)
	}
}

// firstWords is the start of a verdict reason, without what changes from
// run to run (container IDs, times).
func firstWords(s string) string {
	if i := strings.Index(s, ":"); i > 0 {
		return s[:i]
	}
	return s
}

// TestKindSeccompDefaultAndClusterBackend makes a two-node cluster with
// the kubelet's seccompDefault on: a pod without a profile must run under
// a filter (the probe reports seccomp mode 2), and Unconfined still opts
// out. The cluster is kept for the cluster backend, which then runs the
// repository's plan on it through its kubeconfig, on both nodes.
func TestKindSeccompDefaultAndClusterBackend(t *testing.T) {
	img := needKind(t)
	spoImage, spoCRDs := needSPO(t)
	name := "secprof-e2e-sd-" + kube.RandomID(4)
	provider := cluster.NewProvider(cluster.ProviderWithDocker())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if err := kind.DeleteCluster(ctx, provider, name, filepath.Join(t.TempDir(), "kubeconfig"), t.Logf); err != nil {
			t.Errorf("deleting cluster %s: %v", name, err)
		}
		if left := clusterContainers(t, name); len(left) > 0 {
			t.Errorf("cluster %s: containers left: %v", name, left)
		}
	})
	plan := inlinePlan(t, "seccomp-default.yaml", fmt.Sprintf(`
profiles: {seccomp: fixtures/seccomp}
images:
  secprof/http-echo:dev: {build: fixtures/workloads/http-echo, binary: /http-echo}
  secprof/probe:dev: {build: fixtures/workloads/probe, binary: /probe}
probe: secprof/probe:dev
kind:
  clusterName: %s
  nodeImage: %s
  workers: 1
  seccompDefault: true
  keepCluster: true
  # For the cluster backend's runs on this cluster afterwards.
  loadImages: [secprof/http-echo:dev, secprof/busybox:dev, %s]
cases:
  - name: a pod without a profile runs under the runtime default
    workload: {image: secprof/probe:dev, args: [-sleep]}
    expect: {outcome: Running, seccompMode: filter}
  - name: Unconfined opts out of the default
    workload: {image: secprof/probe:dev, args: [-sleep]}
    seccomp: Unconfined
    expect: {outcome: Running, seccompMode: disabled}
  # The kernel's audit log names what the profile denies.
  - name: the explanation names the syscall the profile denies
    workload: {image: secprof/http-echo:dev, args: ["-text=hi"], ports: [5678]}
    seccomp: profiles/fine-grained-without-bind.json
    expect: {outcome: CrashLoopBackOff, denied: [bind]}
  # Infrastructure failures are errors, never verdicts.
  - name: an image no node has and no registry serves
    workload: {image: secprof/does-not-exist:dev, command: [/nothing]}
    expect: {outcome: Running}
  - name: a pod no node can take
    pod: harness/kind/testdata/unschedulable-pod.yaml
    expect: {outcome: Running}
`, name, img, spoImage))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	rec := kube.NewRecorder()
	kube.TestRecorder.Store(rec)
	res, err := harness.Run(ctx, plan, harness.Options{Backend: "kind", Log: &logWriter{t: t}})
	kube.TestRecorder.Store(nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	infra := map[string]string{
		"an image no node has and no registry serves": "ErrImagePull",
		"a pod no node can take":                      "cannot be scheduled",
	}
	var good []harness.CaseResult
	for _, c := range res.Cases {
		want, ok := infra[c.Name]
		if !ok {
			good = append(good, c)
			continue
		}
		if c.Status != harness.Errored || !strings.Contains(c.Error, want) {
			t.Errorf("case %q: want an infrastructure error about %s, got %s %v %s", c.Name, want, c.Status, c.Verdict, c.Error)
		}
	}
	// The cases that must pass, reported with their own counts.
	rest := &harness.Result{Cases: good, Duration: res.Duration}
	for _, c := range good {
		if c.Status == harness.Passed {
			rest.Passed++
		} else {
			rest.Failed++
		}
	}
	reportFailures(t, rest)
	if c := byName(res)["the explanation names the syscall the profile denies"]; c.Explanation != nil {
		t.Logf("explanation: %s (%s; %v)", c.Explanation.Summary(), c.Explanation.Source, c.Explanation.Detail)
	}
	if os.Getenv("SECPROF_RECORD_TESTDATA") == "1" {
		writeRecordings(t, rec, res, plan)
	}
	if !contains(clusterNames(t), name) {
		t.Fatalf("cluster %s was not kept", name)
	}
	if t.Failed() {
		return
	}

	// The cluster backend on the same cluster, through its kubeconfig.
	raw, err := provider.KubeConfig(name, false)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	rplan := repoPlan(t)
	res = runClusterBackend(t, ctx, rplan, kubeconfig, "the cluster backend")
	// Without the Security Profiles Operator, "auto" means the DaemonSet.
	if !anyContains(res.Env.Notes, "profiles under "+kind.KubeletSeccompRoot+"/secprof-") {
		t.Errorf("the run did not install through the DaemonSet; notes: %q", res.Env.Notes)
	}
	nodes, err := provider.ListNodes(name)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(repoPlan(t).Cases) * len(nodes); len(res.Cases) != want || len(nodes) != 2 {
		t.Errorf("cluster backend ran %d cases on %d nodes, want %d (every case on every node)", len(res.Cases), len(nodes), want)
	}
	perNode := map[string]int{}
	for _, c := range res.Cases {
		i := strings.LastIndex(c.Name, " @")
		if i < 0 {
			t.Errorf("case %q does not name its node", c.Name)
			continue
		}
		perNode[c.Name[i+2:]]++
	}
	for _, n := range nodes {
		if perNode[n.String()] != len(rplan.Cases) {
			t.Errorf("node %s ran %d cases, want %d", n.String(), perNode[n.String()], len(rplan.Cases))
		}
		// The installer removed the run's profiles from the node.
		var out strings.Builder
		if err := n.Command("ls", "-A", kind.KubeletSeccompRoot).SetStdout(&out).Run(); err != nil {
			t.Errorf("node %s: ls %s: %v", n.String(), kind.KubeletSeccompRoot, err)
		}
		for _, e := range strings.Fields(out.String()) {
			if strings.HasPrefix(e, "secprof-") {
				t.Errorf("node %s: %s/%s left behind", n.String(), kind.KubeletSeccompRoot, e)
			}
		}
	}
	if len(rplan.Cases) != len(repoPlan(t).Cases) {
		t.Errorf("the plan's cases were not restored after --all-nodes")
	}
	if t.Failed() {
		return
	}

	// Where the Security Profiles Operator is installed, the cluster
	// backend hands the seccomp profiles to it as SeccompProfile objects
	// (found by itself: the installer is "auto"), and its daemon writes
	// them on every node.
	deploySPO(t, ctx, kubeconfig, spoImage, spoCRDs)
	rplan = repoPlan(t)
	res = runClusterBackend(t, ctx, rplan, kubeconfig, "the cluster backend through the Security Profiles Operator")
	if want := len(rplan.Cases) * len(nodes); len(res.Cases) != want {
		t.Errorf("cluster backend ran %d cases, want %d", len(res.Cases), want)
	}
	if !anyContains(res.Env.Notes, "SeccompProfile objects by the Security Profiles Operator") {
		t.Errorf("the run did not go through the operator; notes: %q", res.Env.Notes)
	}
	if left := spoObjectsLeft(t, ctx, kubeconfig); len(left) > 0 {
		t.Errorf("SeccompProfiles left behind: %v", left)
	}
	for _, n := range nodes {
		// The operator's daemon removed the run's files from the node
		// (they live in per-namespace directories; the operator's own
		// kubelet-config.json is at the top).
		var out strings.Builder
		if err := n.Command("find", "/var/lib/security-profiles-operator", "-mindepth", "2", "-name", "*.json").SetStdout(&out).Run(); err != nil {
			t.Errorf("node %s: find: %v", n.String(), err)
		}
		if s := strings.TrimSpace(out.String()); s != "" {
			t.Errorf("node %s: operator files left behind:\n%s", n.String(), s)
		}
	}
}

// runClusterBackend runs plan with the cluster backend and --all-nodes
// through kubeconfig, and reports every case that did not pass.
func runClusterBackend(t *testing.T, ctx context.Context, plan *harness.Plan, kubeconfig, what string) *harness.Result {
	t.Helper()
	start := time.Now()
	res, err := harness.Run(ctx, plan, harness.Options{
		Backend: "cluster",
		Overrides: map[string]map[string]string{"cluster": {
			"kubeconfig": kubeconfig, "allNodes": "true", "installerImage": "secprof/busybox:dev",
		}},
		Log: &logWriter{t: t},
	})
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	t.Logf("repository plan on %s, --all-nodes: %d passed, %d failed, %d skipped, %d errors in %s", what, res.Passed, res.Failed, res.Skipped, res.Errors, time.Since(start).Round(time.Millisecond))
	reportFailures(t, res)
	return res
}

// TestKindInterrupt sends SIGINT to `secprof test --backend kind` while
// its cases run and checks that no cluster, container or network is left.
func TestKindInterrupt(t *testing.T) {
	img := needKind(t)
	root := repoRoot(t)
	bin := filepath.Join(t.TempDir(), "secprof")
	build := exec.Command("go", "build", "-o", bin, "./cmd/secprof")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	name := "secprof-e2e-int-" + kube.RandomID(4)
	network := "secprof-e2e-int-" + kube.RandomID(4)
	cmd := exec.Command(bin, "test", "-v", "--backend", "kind", "--kind-node-image", img, "--cluster-name", name)
	cmd.Dir = root
	// A network of its own, so that its removal can be checked without
	// racing other kind clusters on the shared "kind" network.
	cmd.Env = append(os.Environ(), "KIND_EXPERIMENTAL_DOCKER_NETWORK="+network)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Whatever happens, leave nothing for the next test.
		_ = cmd.Process.Kill()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		_ = kind.DeleteCluster(ctx, cluster.NewProvider(cluster.ProviderWithDocker()), name, filepath.Join(t.TempDir(), "kubeconfig"), t.Logf)
		_ = exec.Command("docker", "network", "rm", network).Run()
	})

	// Interrupt once the cases run on the cluster.
	started := make(chan struct{})
	var logTail, afterSignal []string
	var logMu sync.Mutex
	var sent time.Time
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			l := sc.Text()
			logMu.Lock()
			logTail = append(logTail, l)
			if len(logTail) > 200 {
				logTail = logTail[1:]
			}
			if !sent.IsZero() {
				afterSignal = append(afterSignal, fmt.Sprintf("+%.1fs %s", time.Since(sent).Seconds(), l))
			}
			logMu.Unlock()
			if strings.Contains(l, ": starting") {
				once.Do(func() { close(started) })
			}
		}
	}()
	select {
	case <-started:
	case <-time.After(6 * time.Minute):
		logMu.Lock()
		t.Fatalf("the run did not start its cases:\n%s", strings.Join(logTail, "\n"))
	}
	if len(clusterContainers(t, name)) == 0 {
		t.Fatalf("cluster %s has no containers while its cases run", name)
	}
	time.Sleep(time.Second) // the pods are being created
	logMu.Lock()
	sent = time.Now()
	logMu.Unlock()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(3 * time.Minute):
		t.Fatalf("secprof did not exit within 3 minutes of SIGINT")
	}
	logMu.Lock()
	t.Logf("secprof exited %.1fs after SIGINT: %v; its log since:\n%s", time.Since(sent).Seconds(), err, strings.Join(afterSignal, "\n"))
	logMu.Unlock()
	if left := clusterContainers(t, name); len(left) > 0 {
		t.Errorf("containers of cluster %s left after SIGINT: %v", name, left)
	}
	if contains(clusterNames(t), name) {
		t.Errorf("cluster %s left after SIGINT", name)
	}
	if exec.Command("docker", "network", "inspect", network).Run() == nil {
		t.Errorf("docker network %s left after SIGINT", network)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if !anyContains(logTail, "deleted") {
		t.Errorf("no deletion in the log:\n%s", strings.Join(logTail, "\n"))
	}
}

func anyContains(lines []string, s string) bool {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}
