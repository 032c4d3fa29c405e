package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/secprof/secprof/harness"
	"github.com/secprof/secprof/harness/filter"
	"github.com/secprof/secprof/harness/probe"
	"github.com/secprof/secprof/harness/sandbox"
)

// instance is one running case.
type instance struct {
	b      *Backend
	c      *harness.Case
	s      *spec
	dir    string
	obs    chan harness.Observation
	logs   *lineRing
	proc   *sandbox.Process
	unlock func()

	stopOnce sync.Once
	stopped  chan struct{}
	watched  chan struct{}
}

// Start runs the case's workload.
func (b *Backend) Start(ctx context.Context, c *harness.Case) (harness.Instance, error) {
	s, err := b.resolve(ctx, c)
	if err != nil {
		return nil, err
	}
	in := &instance{b: b, c: c, s: s, obs: make(chan harness.Observation, 16), logs: newLineRing(200),
		stopped: make(chan struct{}), watched: make(chan struct{})}
	if s.early != nil {
		in.obs <- *s.early
		close(in.obs)
		close(in.watched)
		return in, nil
	}
	waitStart := time.Now()
	in.unlock, err = b.ports.acquire(ctx, c.Workload.Ports)
	if err != nil {
		return nil, err
	}
	if w := time.Since(waitStart); w > 100*time.Millisecond {
		in.obs <- harness.Note(fmt.Sprintf("waited %s for port(s) %v, used by another case on this host", w.Round(time.Millisecond), c.Workload.Ports))
	}
	for _, p := range c.Workload.Ports {
		if err := portFree(ctx, p); err != nil {
			in.unlock()
			in.obs <- harness.InfraFailed(err.Error())
			close(in.obs)
			close(in.watched)
			in.unlock = nil
			return in, nil
		}
	}
	in.dir, err = os.MkdirTemp("", "secprof-local-")
	if err != nil {
		in.unlock()
		return nil, err
	}
	b.mu.Lock()
	b.running[in] = true
	b.mu.Unlock()
	in.obs <- harness.Created()
	proc, err := sandbox.Start(ctx, in.config(s.path, s.argv, in.logs, in.logs))
	var se *sandbox.StartError
	switch {
	case errors.As(err, &se):
		in.obs <- harness.StartFailed(se.Describe(s.argv[0]))
		close(in.obs)
		close(in.watched)
		return in, nil
	case err != nil:
		close(in.obs)
		close(in.watched) // nothing to watch: Stop must not wait for it
		in.Stop(context.WithoutCancel(ctx))
		return nil, err
	}
	in.proc = proc
	in.obs <- harness.Started()
	go in.watch()
	return in, nil
}

func (in *instance) config(path string, argv []string, stdout, stderr io.Writer) sandbox.Config {
	return sandbox.Config{Path: path, Args: argv, Env: in.s.env, Dir: in.dir, Filter: in.s.filter,
		NoNewPrivs: in.s.nnp, AppArmor: in.s.aa, Caps: in.s.caps, Stdout: stdout, Stderr: stderr}
}

// watch reports the workload's end.
func (in *instance) watch() {
	defer close(in.watched)
	defer close(in.obs)
	select {
	case <-in.proc.Done():
	case <-in.stopped:
		return
	}
	st := in.proc.Status()
	msg := ""
	if st.Signal == "SIGSYS" {
		msg = "killed by the seccomp filter (SCMP_ACT_KILL/TRAP)"
	}
	select {
	case in.obs <- harness.Exited(st.Code, st.Signal, false, msg):
	case <-in.stopped:
	}
}

func (in *instance) Observations() <-chan harness.Observation { return in.obs }

// Stop kills the workload's process group and removes its directory.
func (in *instance) Stop(ctx context.Context) error {
	in.stopOnce.Do(func() {
		close(in.stopped)
		if in.proc != nil {
			in.proc.Close()
		}
		<-in.watched
		if in.unlock != nil {
			in.unlock()
		}
		if in.dir != "" {
			os.RemoveAll(in.dir)
		}
		in.b.mu.Lock()
		delete(in.b.running, in)
		in.b.mu.Unlock()
	})
	return nil
}

func (in *instance) Logs(ctx context.Context, n int) []string { return in.logs.last(n) }

// Address: the workload listens on this host.
func (in *instance) Address(ctx context.Context, port int) (string, error) {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil
}

// Exec runs argv under the workload's profiles, in its directory and
// environment, like kubectl exec runs it in the container.
func (in *instance) Exec(ctx context.Context, argv []string) (harness.ExecResult, error) {
	if in.s.early != nil || in.proc == nil {
		return harness.ExecResult{}, errors.New("the workload is not running")
	}
	path := argv[0]
	if in.s.imageBin != "" && path == in.s.imageBin {
		path = in.s.binPath
	} else {
		p, err := in.b.lookPath(path)
		if err != nil {
			return harness.ExecResult{ExitCode: 127, Output: fmt.Sprintf("exec: %q: executable file not found in $PATH", argv[0])}, nil
		}
		path = p
	}
	out := &harness.LimitedBuffer{Max: harness.MaxExecOutput}
	return in.run(ctx, path, argv, out)
}

func (in *instance) run(ctx context.Context, path string, argv []string, out *harness.LimitedBuffer) (harness.ExecResult, error) {
	p, err := sandbox.Start(ctx, in.config(path, argv, out, out))
	var se *sandbox.StartError
	if errors.As(err, &se) {
		// What a runtime's exec reports when the process cannot start.
		return harness.ExecResult{ExitCode: 126, Output: "exec failed: " + se.Describe(argv[0])}, nil
	}
	if err != nil {
		return harness.ExecResult{}, err
	}
	defer p.Close()
	select {
	case <-p.Done():
	case <-ctx.Done():
		return harness.ExecResult{}, fmt.Errorf("exec %s: %w", argv[0], context.Cause(ctx))
	}
	return harness.ExecResult{ExitCode: p.Status().Code, Output: out.String()}, nil
}

// Probe runs the probe under the workload's profiles, and once without
// them as a baseline, so that a call failing with EPERM anyway is not
// taken for denied.
func (in *instance) Probe(ctx context.Context, syscalls []string) (*probe.Report, error) {
	if in.s.early != nil || in.proc == nil {
		return nil, errors.New("the workload is not running")
	}
	path, argv, err := in.b.probeCommand(ctx, syscalls)
	if err != nil {
		return nil, err
	}
	conf, err := in.probeOnce(ctx, path, argv, true)
	if err != nil {
		return nil, err
	}
	if len(syscalls) > 0 {
		base, err := in.probeOnce(ctx, path, argv, false)
		if err != nil {
			return nil, fmt.Errorf("baseline probe: %w", err)
		}
		probe.Compare(conf, base)
	}
	return conf, nil
}

func (in *instance) probeOnce(ctx context.Context, path string, argv []string, confined bool) (*probe.Report, error) {
	cfg := in.config(path, argv, nil, nil)
	if !confined {
		cfg.Filter, cfg.AppArmor = nil, ""
	}
	var out, errb harness.LimitedBuffer
	out.Max, errb.Max = harness.MaxExecOutput, 64<<10
	cfg.Stdout, cfg.Stderr = &out, &errb
	p, err := sandbox.Start(ctx, cfg)
	var se *sandbox.StartError
	if errors.As(err, &se) {
		return nil, fmt.Errorf("the probe cannot start under this profile: %s", se.Describe(path))
	}
	if err != nil {
		return nil, err
	}
	defer p.Close()
	select {
	case <-p.Done():
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	if st := p.Status(); st.Code != 0 {
		return nil, fmt.Errorf("the probe failed (exit code %d%s): %s", st.Code, sigSuffix(st.Signal), strings.TrimSpace(errb.String()))
	}
	var rep probe.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return nil, fmt.Errorf("the probe's output is not a report: %v", err)
	}
	return &rep, nil
}

func sigSuffix(s string) string {
	if s == "" {
		return ""
	}
	return ", " + s
}

// probeCommand is the plan's probe image binary, or this binary in probe
// mode.
func (b *Backend) probeCommand(ctx context.Context, syscalls []string) (string, []string, error) {
	args := []string{"-syscalls", strings.Join(syscalls, ",")}
	if b.plan.Probe != "" {
		bin, err := b.cfg.Builds.Binary(ctx, b.plan.Probe)
		if err != nil {
			return "", nil, err
		}
		return bin, append([]string{"probe"}, args...), nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	// The env marker (set by config's env below) selects probe mode.
	return exe, append([]string{probe.SelfArg0}, args...), nil
}

// Explain re-runs the case with every syscall routed to seccomp user
// notification: secprof answers each one (letting it run) and evaluates
// the case's real profile on it, so all the calls the profile denies are
// found in one run, not just the first.
func (b *Backend) Explain(ctx context.Context, c *harness.Case) (*harness.Explanation, error) {
	s, err := b.resolve(ctx, c)
	if err != nil {
		return nil, err
	}
	if s.early != nil || s.filter == nil {
		return nil, harness.Skip("nothing ran under a seccomp filter")
	}
	denied, used, err := b.record(ctx, c, s)
	if err != nil {
		return nil, err
	}
	e := &harness.Explanation{Source: "seccomp user notification (the case re-run with every syscall routed to secprof)"}
	for _, d := range denied {
		e.Denied = append(e.Denied, d.name)
		e.Detail = append(e.Detail, d.name+": "+d.action)
	}
	e.Detail = append(e.Detail, fmt.Sprintf("%d distinct syscalls made", len(used)))
	return e, nil
}

type deniedCall struct{ name, action string }

// record runs the case's workload under the notify-everything filter for
// as long as the case needs to be Running (plus its HTTP checks), and
// returns the calls its profile denies.
func (b *Backend) record(ctx context.Context, c *harness.Case, s *spec) ([]deniedCall, []string, error) {
	all, err := filter.NotifyAll()
	if err != nil {
		return nil, nil, err
	}
	unlock, err := b.ports.acquire(ctx, c.Workload.Ports)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	dir, err := os.MkdirTemp("", "secprof-explain-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	cfg := sandbox.Config{Path: s.path, Args: s.argv, Env: s.env, Dir: dir, Filter: all, Listener: true, NoNewPrivs: s.nnp, AppArmor: s.aa, Caps: s.caps}
	p, err := sandbox.Start(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	defer p.Close()
	rec := sandbox.NewRecorder(p.Pid, s.filter)
	stable := c.StableFor.D()
	if stable == 0 {
		stable = b.plan.StableFor.D()
	}
	sctx, cancel := context.WithTimeout(ctx, stable+time.Second)
	defer cancel()
	supDone := make(chan error, 1)
	go func() { supDone <- sandbox.Supervise(sctx, p.Listener(), rec.Handle) }()
	// Exercise what the checks exercise, so the calls made while serving
	// are seen too.
	go func() {
		exp := c.Expect
		for _, h := range exp.HTTP {
			path := h.Path
			if path == "" {
				path = "/"
			}
			deadline := time.Now().Add(stable)
			for time.Now().Before(deadline) && sctx.Err() == nil {
				conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(h.Port)), 200*time.Millisecond)
				if err == nil {
					fmt.Fprintf(conn, "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", path)
					conn.SetReadDeadline(time.Now().Add(time.Second))
					io.Copy(io.Discard, conn)
					conn.Close()
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()
	select {
	case <-p.Done():
	case <-sctx.Done():
	}
	p.Kill()
	cancel()
	if err := <-supDone; err != nil {
		return nil, nil, err
	}
	var out []deniedCall
	for _, n := range rec.Denied {
		out = append(out, deniedCall{n, rec.Actions[n]})
	}
	return out, rec.Used, nil
}

// lineRing keeps the last lines written to it.
type lineRing struct {
	mu    sync.Mutex
	max   int
	lines []string
	part  []byte
}

func newLineRing(max int) *lineRing { return &lineRing{max: max} }

func (r *lineRing) Write(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if len(r.part) < 4096 {
				r.part = append(r.part, b[:min(len(b), 4096-len(r.part))]...)
			}
			break
		}
		line := append(r.part, b[:i]...)
		r.part = nil
		r.lines = append(r.lines, string(line))
		if len(r.lines) > r.max {
			r.lines = r.lines[len(r.lines)-r.max:]
		}
		b = b[i+1:]
	}
	return n, nil
}

func (r *lineRing) last(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	lines := r.lines
	if len(r.part) > 0 {
		lines = append(append([]string(nil), lines...), string(r.part))
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return append([]string(nil), lines...)
}
