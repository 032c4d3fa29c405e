package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/secprof/secprof/harness"
)

// These tests need no engine: they pin how engine answers become
// observations and how cases become security options.

func TestStartOutcome(t *testing.T) {
	for _, tc := range []struct {
		msg    string
		reason string
	}{
		// violation.json under runc: the filter denies what runc needs
		// to exec the process.
		{"cannot start a stopped process: unknown", harness.ReasonStartError},
		{"failed to create shim task: OCI runtime create failed: runc create failed: string SCMP_ACT_BOGUS is not a valid action for seccomp: unknown", harness.ReasonStartError},
		// dockerd decodes the profile when it builds the OCI spec, where
		// containerd does it when creating the container.
		{"Decoding seccomp profile failed: json: cannot unmarshal number into Go struct field Seccomp.defaultAction of type specs.LinuxSeccompAction", harness.ReasonCreateContainerError},
		{"OCI runtime create failed: apparmor failed to apply profile: write /proc/self/attr/apparmor/exec: no such file or directory: unknown", harness.ReasonCreateContainerError},
	} {
		o := startOutcome(tc.msg)
		if o.Reason != tc.reason || o.Message != tc.msg {
			t.Errorf("%q: got %s", tc.msg, o)
		}
		v, err := harness.Classify([]harness.Observation{harness.Created(), o}, harness.ClassifyOptions{}, o.Time)
		if err != nil || v == nil {
			t.Fatalf("%q: %v %v", tc.msg, v, err)
		}
		want := harness.CrashLoopBackOff
		if tc.reason == harness.ReasonCreateContainerError {
			want = harness.CreateContainerError
		}
		if v.Outcome != want || !strings.Contains(v.Reason, tc.msg) {
			t.Errorf("%q: verdict %s, want %s with the runtime's message", tc.msg, v, want)
		}
	}
}

func TestExited(t *testing.T) {
	o := exited(159, false)
	if o.Signal != "SIGSYS" || !strings.Contains(o.Message, "seccomp") || o.Reason != harness.ReasonError {
		t.Errorf("159: %s", o)
	}
	o = exited(137, true)
	if o.Signal != "SIGKILL" || !o.OOMKilled || o.Reason != harness.ReasonOOMKilled {
		t.Errorf("137 oom: %s", o)
	}
	if o = exited(1, false); o.Signal != "" || o.ExitCode != 1 || o.Reason != harness.ReasonError {
		t.Errorf("1: %s", o)
	}
	if o := exited(0, false); o.Reason != harness.ReasonCompleted || o.Message != "" {
		t.Errorf("0: %s", o)
	}
	if o := exited(255, false); o.Signal != "" {
		t.Errorf("255 is not a signal: %s", o)
	}
}

func writeProfile(t *testing.T, content string) harness.SeccompRef {
	t.Helper()
	p := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return harness.SeccompRef{Kind: harness.SeccompLocalhost, Path: "p.json", File: p}
}

func TestSeccompOpt(t *testing.T) {
	opt, early := seccompOpt(writeProfile(t, "{\n  \"defaultAction\": \"SCMP_ACT_LOG\"\n}\n"))
	if early != nil || opt != `seccomp={"defaultAction":"SCMP_ACT_LOG"}` {
		t.Errorf("got %q %v", opt, early)
	}
	_, early = seccompOpt(writeProfile(t, `{"defaultAction": `))
	if early == nil || early.Reason != harness.ReasonCreateContainerError || !strings.Contains(early.Message, "cannot load seccomp profile") {
		t.Errorf("malformed: %v", early)
	}
	missing := harness.SeccompRef{Kind: harness.SeccompLocalhost, Path: "no.json", File: "/nonexistent/no.json", Missing: true}
	_, early = seccompOpt(missing)
	if early == nil || !strings.Contains(early.Message, "cannot load seccomp profile") || !strings.Contains(early.Message, "no such file or directory") {
		t.Errorf("missing: %v", early)
	}
	big := writeProfile(t, `{"x":"`+strings.Repeat("a", maxProfileSize)+`"}`)
	if _, early = seccompOpt(big); early == nil || !strings.Contains(early.Message, "larger than") {
		t.Errorf("huge: %v", early)
	}
}

func TestResolveSecurityOptions(t *testing.T) {
	yes := true
	b := &Backend{apparmor: true, plan: &harness.Plan{}}
	b.images.entry("img").done, b.images.entry("img").ref = true, "img"
	ref := writeProfile(t, `{"defaultAction":"SCMP_ACT_ERRNO"}`)
	c := &harness.Case{Name: "x", SeccompRef: ref, AppArmorRef: harness.AppArmorRef{Kind: harness.AppArmorUnconfined},
		Workload: &harness.Workload{Image: "img", Command: []string{"/bin/x"}, Capabilities: harness.Capabilities{Drop: []string{"ALL"}}, Ports: []int{80}},
		Expect:   harness.Expect{Outcome: harness.Running, HTTP: harness.HTTPChecks{{Port: 8080}}}}
	s, err := b.resolve(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(s.secOpts, " ")
	want := `apparmor=unconfined seccomp={"defaultAction":"SCMP_ACT_ERRNO"} no-new-privileges`
	if got != want || strings.Join(s.capDrop, ",") != "ALL" || s.entrypoint[0] != "/bin/x" || len(s.cmd) != 0 {
		t.Errorf("got %q %+v", got, s)
	}
	if len(s.ports) != 2 || s.ports[0] != 80 || s.ports[1] != 8080 {
		t.Errorf("ports %v: the HTTP check's port must be published too", s.ports)
	}
	c.Workload.AllowPrivilegeEscalation = &yes
	c.SeccompRef = harness.SeccompRef{Kind: harness.SeccompUnconfined}
	c.AppArmorRef = harness.AppArmorRef{Kind: harness.AppArmorLocalhost, Name: "deny-write"}
	c.Workload.Command, c.Workload.Args = nil, []string{"-a"}
	b.aa.ProfilesFile = filepath.Join(t.TempDir(), "profiles")
	os.WriteFile(b.aa.ProfilesFile, []byte("deny-write (enforce)\n"), 0o644)
	b.local = true
	s, err = b.resolve(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.secOpts, " "); got != "apparmor=deny-write seccomp=unconfined" || s.entrypoint != nil || s.cmd[0] != "-a" {
		t.Errorf("got %q %+v", got, s)
	}
	// A profile the kernel does not have: containerd's CreateContainerError.
	c.AppArmorRef.Name = "allow-write"
	if s, err = b.resolve(context.Background(), c); err != nil || s.early == nil || s.early.Reason != harness.ReasonCreateContainerError || !strings.Contains(s.early.Message, "apparmor profile not found allow-write") {
		t.Errorf("not loaded: %+v %v", s, err)
	}
	// No AppArmor on the engine's host: kubelet's admission refuses it.
	b.apparmor = false
	if s, err = b.resolve(context.Background(), c); err != nil || s.early == nil || s.early.Kind != harness.ObsRejected || s.early.Reason != harness.ReasonAppArmor {
		t.Errorf("no AppArmor: %+v %v", s, err)
	}
	// Cases the docker backend cannot honour are skipped, never passed.
	if _, err := b.resolve(context.Background(), &harness.Case{Pod: "p.yaml"}); err == nil {
		t.Error("a pod case was not skipped")
	} else if _, ok := harness.IsSkip(err); !ok {
		t.Errorf("pod: %v", err)
	}
	if _, err := b.resolve(context.Background(), &harness.Case{Workload: &harness.Workload{Local: []string{"true"}}}); err == nil {
		t.Error("a case without image was not skipped")
	}
}

func TestRestartPolicy(t *testing.T) {
	for in, want := range map[string]string{"": "always", "Always": "always", "OnFailure": "on-failure", "Never": "no"} {
		if got := string(restartPolicy(in)); got != want {
			t.Errorf("%q: %q", in, got)
		}
	}
}

func TestRepoName(t *testing.T) {
	for in, want := range map[string]string{
		"secprof/http-echo:dev": "secprof-http-echo-dev",
		"UPPER case@sha":        "upper-case-sha",
		"///":                   "",
	} {
		got := repoName(in)
		if want == "" {
			if !strings.HasPrefix(got, "image-") {
				t.Errorf("%q: %q", in, got)
			}
			continue
		}
		if got != want {
			t.Errorf("%q: %q", in, got)
		}
	}
}

func TestWriteRoot(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "echo")
	os.WriteFile(bin, []byte("binary"), 0o755)
	var buf bytes.Buffer
	if err := writeRoot(&buf, []tarFile{{name: "/usr/local/bin/echo", src: bin, mode: 0o755}}, []string{"sh", "touch", "busybox"}, "/usr/local/bin/echo"); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&buf)
	seen := map[string]*tar.Header{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if seen[h.Name] != nil {
			t.Errorf("%s twice", h.Name)
		}
		seen[h.Name] = h
	}
	for _, n := range []string{"tmp/", "etc/passwd", "usr/", "usr/local/", "usr/local/bin/", "usr/local/bin/echo", "bin/sh", "bin/touch"} {
		if seen[n] == nil {
			t.Errorf("missing %s (have %v)", n, seen)
		}
	}
	if seen["bin/busybox"] != nil {
		t.Error("busybox linked to itself")
	}
	if seen["tmp/"].Mode != 0o1777 || seen["bin/sh"].Linkname != "busybox" || seen["usr/local/bin/echo"].Size != 6 {
		t.Errorf("headers: %+v %+v", seen["tmp/"], seen["bin/sh"])
	}
}

func TestIsStatic(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The test binary links libseccomp through cgo: not static.
	if isStatic(exe) {
		t.Errorf("%s taken for static", exe)
	}
	if isStatic("/nonexistent") {
		t.Error("a missing file taken for static")
	}
}

func TestStreamError(t *testing.T) {
	ok := `{"status":"Pulling"}` + "\n" + `{"status":"Done"}`
	if err := streamError(strings.NewReader(ok)); err != nil {
		t.Error(err)
	}
	bad := `{"status":"Pulling"}{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}`
	if err := streamError(strings.NewReader(bad)); err == nil || err.Error() != "manifest unknown" {
		t.Errorf("got %v", err)
	}
	if err := streamError(strings.NewReader(`{"status":`)); err == nil {
		t.Error("a cut stream is an error")
	}
}

// fakeImages answers ImageInspect from a set and fails or succeeds pulls.
type fakeImages struct {
	have   map[string]bool
	pullOK bool
	pulled []string
}

type notFound struct{ error }

func (notFound) NotFound() {}

func (f *fakeImages) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	if f.have[ref] {
		return image.InspectResponse{ID: ref}, nil
	}
	return image.InspectResponse{}, notFound{errors.New("No such image: " + ref)}
}

func (f *fakeImages) ImagePull(_ context.Context, ref string, _ image.PullOptions) (io.ReadCloser, error) {
	f.pulled = append(f.pulled, ref)
	if !f.pullOK {
		return nil, errors.New(`Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host`)
	}
	f.have[ref] = true
	return io.NopCloser(strings.NewReader(`{"status":"Downloaded"}`)), nil
}

func TestRyukNeeded(t *testing.T) {
	ctx := context.Background()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	ryuk := "testcontainers/ryuk:0.13.0"

	// Offline, image absent: disabled, and the note says why.
	f := &fakeImages{have: map[string]bool{}}
	dis, note := ryukNeeded(ctx, f, true, env(nil), "")
	if !dis || !strings.Contains(note, ryuk) || !strings.Contains(note, "cannot be pulled") || !strings.Contains(note, "no such host") {
		t.Errorf("offline: %v %q", dis, note)
	}
	// Pulling off: disabled without trying.
	f = &fakeImages{have: map[string]bool{}}
	if dis, _ = ryukNeeded(ctx, f, false, env(nil), ""); !dis || len(f.pulled) != 0 {
		t.Errorf("no pull: %v %v", dis, f.pulled)
	}
	// The image is on the engine: Ryuk runs.
	f = &fakeImages{have: map[string]bool{ryuk: true}}
	if dis, note = ryukNeeded(ctx, f, true, env(nil), ""); dis || note != "" {
		t.Errorf("present: %v %q", dis, note)
	}
	// Pullable: Ryuk runs.
	f = &fakeImages{have: map[string]bool{}, pullOK: true}
	if dis, _ = ryukNeeded(ctx, f, true, env(nil), ""); dis || len(f.pulled) != 1 {
		t.Errorf("pullable: %v %v", dis, f.pulled)
	}
	// A mirror prefix is honoured.
	f = &fakeImages{have: map[string]bool{"mirror.example/" + ryuk: true}}
	if dis, _ = ryukNeeded(ctx, f, true, env(map[string]string{"TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX": "mirror.example/"}), ""); dis {
		t.Error("prefix not honoured")
	}
	// The user's explicit choice wins, either way.
	f = &fakeImages{have: map[string]bool{}}
	if dis, note = ryukNeeded(ctx, f, true, env(map[string]string{ryukEnv: "true"}), ""); dis || !strings.Contains(note, ryukEnv) || len(f.pulled) != 0 {
		t.Errorf("env true: %v %q", dis, note)
	}
	if dis, note = ryukNeeded(ctx, f, true, env(map[string]string{ryukEnv: "false"}), ""); dis || note != "" {
		t.Errorf("env false: %v %q", dis, note)
	}
	if dis, note = ryukNeeded(ctx, f, true, env(nil), "true"); dis || !strings.Contains(note, "properties") {
		t.Errorf("properties: %v %q", dis, note)
	}
}

func TestEngineErrorNamesTheSocket(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/secprof-test/docker.sock")
	host, src := EngineHost()
	_, err := ping(context.Background(), host, src)
	var ee *EngineError
	if !errors.As(err, &ee) {
		t.Fatalf("got %v", err)
	}
	for _, want := range []string{"DOCKER_HOST", "unix:///nonexistent/secprof-test/docker.sock", "hack/docker-up.sh"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not name %s", err, want)
		}
	}
	os.Unsetenv("DOCKER_HOST")
	if h, src := EngineHost(); h != "unix:///var/run/docker.sock" || !strings.Contains(src, "DOCKER_HOST is not set") {
		t.Errorf("default: %s %s", h, src)
	}
}

func TestOptions(t *testing.T) {
	plan := &harness.Plan{}
	for _, tc := range []struct {
		pull, want string
		ok         bool
	}{{"", "missing", true}, {"missing", "missing", true}, {"never", "never", true}, {"always", "", false}} {
		b, err := New(harness.BackendConfig{Plan: plan, Options: &Options{Pull: tc.pull}})
		if (err == nil) != tc.ok {
			t.Errorf("pull %q: %v", tc.pull, err)
			continue
		}
		if err == nil && b.(*Backend).opts.Pull != tc.want {
			t.Errorf("pull %q: %q", tc.pull, b.(*Backend).opts.Pull)
		}
	}
	b1, _ := New(harness.BackendConfig{Plan: plan})
	b2, _ := New(harness.BackendConfig{Plan: plan})
	if b1.(*Backend).RunID() == b2.(*Backend).RunID() || len(b1.(*Backend).RunID()) != 12 {
		t.Errorf("run ids %q %q", b1.(*Backend).RunID(), b2.(*Backend).RunID())
	}
}

func TestPlanOptions(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "plan.yaml")
	os.WriteFile(p, []byte("backend: docker\ndocker: {pull: never}\ncases:\n  - {name: a, workload: {image: x, command: [y]}, expect: {outcome: Running}}\n"), 0o644)
	if _, err := harness.LoadPlan(p, harness.PlanSource{}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, []byte("backend: docker\ndocker: {pul: never}\ncases:\n  - {name: a, workload: {image: x, command: [y]}, expect: {outcome: Running}}\n"), 0o644)
	if _, err := harness.LoadPlan(p, harness.PlanSource{}); err == nil || !strings.Contains(err.Error(), "pul") {
		t.Errorf("an unknown key of test.docker: %v", err)
	}
}

// FuzzStreamError: whatever the engine streams, no panic and no hang.
func FuzzStreamError(f *testing.F) {
	f.Add(`{"status":"Pulling"}{"errorDetail":{"message":"x"}}`)
	f.Add(`{"error":"denied"}`)
	f.Add(`{`)
	f.Fuzz(func(t *testing.T, s string) {
		streamError(strings.NewReader(s))
	})
}

var repoComponent = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

// FuzzRepoName: any image name becomes a valid repository path component.
func FuzzRepoName(f *testing.F) {
	for _, s := range []string{"secprof/http-echo:dev", "", "---", "ÄÖÜ", strings.Repeat("a", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if r := repoName(s); !repoComponent.MatchString(r) || len(r) > 100 {
			t.Errorf("%q -> %q", s, r)
		}
	})
}
