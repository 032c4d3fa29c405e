package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/docker/go-connections/nat"
	"github.com/secprof/secprof/harness"
	"github.com/testcontainers/testcontainers-go"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
	"golang.org/x/sys/unix"
)

// instance is one case's container.
type instance struct {
	b   *Backend
	c   *harness.Case
	s   *spec
	ctr *testcontainers.DockerContainer
	obs chan harness.Observation

	stopOnce sync.Once
	stopErr  error
	stopped  chan struct{}
	watched  chan struct{}
	evCancel context.CancelFunc

	// logs are the last output lines, kept when the container is removed.
	logsMu sync.Mutex
	logs   []string
	kept   bool

	probeMu   sync.Mutex
	probePath string // the probe inside the container
	probeSrc  string // the probe binary on this machine, when copied in
}

// Start creates the case's container, then starts it while watching the
// engine's events for it.
func (b *Backend) Start(ctx context.Context, c *harness.Case) (harness.Instance, error) {
	s, err := b.resolve(ctx, c)
	if err != nil {
		return nil, err
	}
	in := &instance{b: b, c: c, s: s, obs: make(chan harness.Observation, 32),
		stopped: make(chan struct{}), watched: make(chan struct{}), evCancel: func() {}}
	for _, n := range s.notes {
		in.obs <- harness.Note(n)
	}
	if s.early != nil {
		in.obs <- *s.early
		close(in.obs)
		close(in.watched)
		return in, nil
	}

	// Events are read from a moment before the container exists (on the
	// engine's clock), so none is missed while the subscription starts.
	since := time.Now().Add(b.clockSkew - time.Second)
	ctr, err := b.create(ctx, s.image, b.containerOptions(c, s))
	if err != nil {
		return nil, err
	}
	in.ctr = ctr
	in.obs <- harness.Created()

	evCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	in.evCancel = cancel
	evs, errs := b.cli.Events(evCtx, events.ListOptions{
		Since:   strconv.FormatInt(since.Unix(), 10) + "." + fmt.Sprintf("%09d", since.Nanosecond()),
		Filters: filters.NewArgs(filters.Arg("type", string(events.ContainerEventType)), filters.Arg("container", ctr.GetContainerID())),
	})
	if err := ctr.Start(ctx); err != nil {
		cancel()
		if ctx.Err() != nil {
			b.terminate(context.WithoutCancel(ctx), ctr)
			return nil, fmt.Errorf("starting the container: %w", context.Cause(ctx))
		}
		in.obs <- startOutcome(b.startMessage(ctx, ctr.GetContainerID(), err))
		close(in.obs)
		close(in.watched)
		return in, nil
	}
	go in.watch(evs, errs)
	return in, nil
}

// create creates a container (not started). The engine request is not
// cancelled half-way, so the container is always known and removed; a
// cancelled ctx removes it right after.
func (b *Backend) create(ctx context.Context, image string, opts []testcontainers.ContainerCustomizer) (*testcontainers.DockerContainer, error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
	defer cancel()
	ctr, err := testcontainers.Run(cctx, image, opts...)
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	if err != nil {
		if ctr != nil && ctr.GetContainerID() != "" {
			b.terminate(cctx, ctr)
		}
		return nil, fmt.Errorf("creating the container: %w", err)
	}
	return ctr, nil
}

// containerOptions are the testcontainers-go options of a case's container.
func (b *Backend) containerOptions(c *harness.Case, s *spec) []testcontainers.ContainerCustomizer {
	labels := b.labels()
	labels[LabelCase] = c.Name
	var exposed []string
	for _, p := range s.ports {
		if b.local {
			// Published on the loopback only: the workload is a test
			// subject, not a service for the network.
			exposed = append(exposed, fmt.Sprintf("127.0.0.1::%d/tcp", p))
		} else {
			exposed = append(exposed, fmt.Sprintf("%d/tcp", p))
		}
	}
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithLogger(tcLogger{b.logf}),
		testcontainers.WithNoStart(),
		testcontainers.WithName(fmt.Sprintf("secprof-%s-%d", b.runID, c.Index)),
		testcontainers.WithLabels(labels),
		testcontainers.WithEnv(s.env),
		testcontainers.WithExposedPorts(exposed...),
		tcnetwork.WithNetwork(nil, b.network),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.NetworkMode = container.NetworkMode(b.network.Name)
			hc.SecurityOpt = append(hc.SecurityOpt, s.secOpts...)
			hc.CapAdd = append(hc.CapAdd, s.capAdd...)
			hc.CapDrop = append(hc.CapDrop, s.capDrop...)
			hc.RestartPolicy = container.RestartPolicy{Name: s.restart}
		}),
		// Cleanup is registered the moment the engine has made the
		// container, before anything else can fail.
		testcontainers.WithAdditionalLifecycleHooks(testcontainers.ContainerLifecycleHooks{
			PostCreates: []testcontainers.ContainerHook{func(_ context.Context, ctr testcontainers.Container) error {
				b.track(ctr)
				return nil
			}},
		}),
	}
	if s.entrypoint != nil {
		opts = append(opts, testcontainers.WithEntrypoint(s.entrypoint...))
	}
	if len(s.cmd) > 0 {
		opts = append(opts, testcontainers.WithCmd(s.cmd...))
	}
	return opts
}

// startMessage is the runtime's own message for a failed start: the
// container state's error as `docker inspect` shows it.
func (b *Backend) startMessage(ctx context.Context, id string, err error) string {
	if st, ierr := b.cli.ContainerInspect(context.WithoutCancel(ctx), id); ierr == nil && st.State != nil && st.State.Error != "" {
		return st.State.Error
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, "Error response from daemon: "); i >= 0 {
		msg = msg[i+len("Error response from daemon: "):]
	}
	return msg
}

// watch turns the container's events into observations until Stop, or
// until the container cannot change state any more.
func (in *instance) watch(evs <-chan events.Message, errs <-chan error) {
	defer close(in.watched)
	defer close(in.obs)
	w := watcher{in: in}
	for {
		select {
		case <-in.stopped:
			return
		case err := <-errs:
			select {
			case <-in.stopped:
				return
			default:
			}
			// The event stream broke: watch by inspecting instead.
			in.b.logf("%s: docker event stream: %v; polling the container's state", in.c.Name, err)
			w.poll()
			return
		case m := <-evs:
			if !w.event(m) {
				return
			}
		case <-w.guard:
			if !w.confirm() {
				return
			}
		}
	}
}

// watcher keeps what the events so far said.
type watcher struct {
	in     *instance
	starts int
	oom    bool
	// pending is when the current start was seen, until confirm has
	// checked that the process outlived stableFor (zero: nothing pending).
	pending time.Time
	// guard fires stableFor after a start (see confirm).
	guard <-chan time.Time
	// finished is the last exit seen by poll (its FinishedAt).
	finished string
}

// send delivers o unless the instance is being stopped.
func (w *watcher) send(o harness.Observation) bool {
	select {
	case w.in.obs <- o:
		return true
	case <-w.in.stopped:
		return false
	}
}

// event handles one event; false ends the watch.
func (w *watcher) event(m events.Message) bool {
	switch m.Action {
	case events.ActionStart:
		return w.started()
	case events.ActionOOM:
		w.oom = true
	case events.ActionDie:
		code, _ := strconv.Atoi(m.Actor.Attributes["exitCode"])
		return w.died(code, w.oom)
	}
	return true
}

// started handles a start of the container. Started is not sent at once:
// dockerd reports an exit only once it has processed it, which on a loaded
// machine takes seconds, so a workload that exits at once could be called
// Running before its die event arrives. confirm sends Started stableFor
// later, dated back to the start, once the kernel shows the process still
// there; a die before that sends it together with the exit.
func (w *watcher) started() bool {
	if w.starts > 0 {
		// The restart policy restarted it: a crash loop is one case
		// whose restart count goes up.
		if !w.send(harness.Observation{Time: time.Now(), Kind: harness.ObsRestarted, RestartCount: w.starts}) {
			return false
		}
	}
	w.starts++
	stable := w.in.stableFor()
	if stable <= 0 {
		return w.send(harness.Started())
	}
	w.pending = time.Now()
	w.guard = time.After(stable)
	return w.send(harness.Note(fmt.Sprintf("started; reported Running once its process has outlived stableFor (%s), checked with docker top", stable)))
}

// confirm runs stableFor after a start: when the container's cgroup still
// holds a process it sends Started dated at the start, and the runner
// calls the workload Running at once, its claim checked. Otherwise the die
// event is on its way.
func (w *watcher) confirm() bool {
	w.guard = nil
	if w.pending.IsZero() {
		return true
	}
	if !w.alive() {
		w.in.b.logf("%s: the process has exited; waiting for the engine to report it", w.in.c.Name)
		return true
	}
	o := harness.Started()
	o.Time, w.pending = w.pending, time.Time{}
	return w.send(o)
}

// flush sends a Started still pending (the process died before confirm).
func (w *watcher) flush() bool {
	if w.pending.IsZero() {
		return true
	}
	w.pending, w.guard = time.Time{}, nil
	return w.send(harness.Started())
}

// stableFor is how long the runner waits before calling the case Running.
func (in *instance) stableFor() time.Duration {
	if d := in.c.StableFor.D(); d > 0 {
		return d
	}
	return in.b.plan.StableFor.D()
}

// alive asks the engine which processes the container's cgroup holds
// (docker top: containerd reads the cgroup, the kernel's truth, where
// dockerd's own state lags). Only a definite answer counts as dead; an
// error that says nothing is taken as alive.
func (w *watcher) alive() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	top, err := w.in.b.cli.ContainerTop(ctx, w.in.ctr.GetContainerID(), nil)
	if err != nil {
		msg := err.Error()
		if isNotFound(err) || strings.Contains(msg, "is not running") || strings.Contains(msg, "is restarting") {
			return false
		}
		w.in.b.logf("%s: docker top: %v", w.in.c.Name, err)
		return true
	}
	return len(top.Processes) > 0
}

func (w *watcher) died(code int, oom bool) bool {
	w.oom = false
	if !w.flush() {
		return false
	}
	// Sent at once: the runner's stable-for timer runs since Started, so
	// nothing slow (such as reading the logs) may come in between. The
	// output is kept at Stop and shown with a failed case.
	if !w.send(exited(code, oom)) {
		return false
	}
	// Keep watching only while the restart policy brings it back.
	switch w.in.s.restart {
	case container.RestartPolicyAlways:
		return true
	case container.RestartPolicyOnFailure:
		return code != 0
	}
	return false
}

// pollInterval is how often poll inspects the container.
const pollInterval = 200 * time.Millisecond

// poll watches by inspecting the container, for engines whose event
// stream fails.
func (w *watcher) poll() {
	if !w.flush() {
		return
	}
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	restarts := 0
	running := w.starts > 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		st, err := w.in.b.cli.ContainerInspect(ctx, w.in.ctr.GetContainerID())
		cancel()
		if err != nil {
			w.send(harness.InfraFailed("inspecting the container: " + err.Error()))
			return
		}
		if st.State != nil {
			if st.RestartCount > restarts {
				restarts = st.RestartCount
				if !w.send(harness.Observation{Time: time.Now(), Kind: harness.ObsRestarted, RestartCount: restarts}) {
					return
				}
			}
			if !st.State.Running && st.State.FinishedAt != w.finished && !strings.HasPrefix(st.State.FinishedAt, "0001-") {
				w.finished = st.State.FinishedAt
				running = false
				if !w.died(st.State.ExitCode, st.State.OOMKilled) {
					return
				}
			} else if st.State.Running && !running {
				running = true
				if !w.send(harness.Started()) {
					return
				}
			}
		}
		select {
		case <-w.in.stopped:
			return
		case <-t.C:
		}
	}
}

// exited is a container's exit: by convention 128+n is a death by
// signal n (159 is SIGSYS: a seccomp kill action).
func exited(code int, oom bool) harness.Observation {
	sig, msg := "", ""
	if code > 128 && code <= 128+64 {
		sig = unix.SignalName(syscall.Signal(code - 128))
	}
	if sig == "SIGSYS" {
		msg = "killed by the seccomp filter (SCMP_ACT_KILL/TRAP)"
	}
	return harness.Exited(code, sig, oom, msg)
}

func (in *instance) Observations() <-chan harness.Observation { return in.obs }

// Stop stops watching and terminates the container.
func (in *instance) Stop(ctx context.Context) error {
	in.stopOnce.Do(func() {
		close(in.stopped)
		in.evCancel()
		<-in.watched
		if in.ctr != nil && !in.b.cfg.Keep {
			// The runner may ask for the logs of a failed case after
			// Stop: keep them before the container goes.
			logs := in.b.tail(ctx, in.ctr.GetContainerID(), keptLogLines)
			in.logsMu.Lock()
			in.logs, in.kept = logs, true
			in.logsMu.Unlock()
			in.stopErr = in.b.terminate(ctx, in.ctr)
		}
	})
	return in.stopErr
}

func (in *instance) running() error {
	if in.ctr == nil {
		return errors.New("the workload has no container")
	}
	return nil
}

// Exec runs argv in the container, like `docker exec` (and kubectl exec):
// the engine applies the container's seccomp and AppArmor profiles to it.
func (in *instance) Exec(ctx context.Context, argv []string) (harness.ExecResult, error) {
	if err := in.running(); err != nil {
		return harness.ExecResult{}, err
	}
	out := &harness.LimitedBuffer{Max: harness.MaxExecOutput}
	code, err := in.b.exec(ctx, in.ctr.GetContainerID(), argv, out, out)
	if err != nil {
		return harness.ExecResult{}, err
	}
	return harness.ExecResult{ExitCode: code, Output: out.String()}, nil
}

// exec runs a process in a container and waits for it. It reads the
// output to the end before asking for the exit code, so a chatty process
// cannot block on a full pipe.
func (b *Backend) exec(ctx context.Context, id string, argv []string, stdout, stderr io.Writer) (int, error) {
	resp, err := b.cli.ContainerExecCreate(ctx, id, container.ExecOptions{Cmd: argv, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return 0, fmt.Errorf("exec %s: %w", argv[0], err)
	}
	hj, err := b.cli.ContainerExecAttach(ctx, resp.ID, container.ExecAttachOptions{})
	if err != nil {
		return 0, fmt.Errorf("exec %s: %w", argv[0], err)
	}
	defer hj.Close()
	done := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(stdout, stderr, hj.Reader)
		done <- err
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		hj.Close()
		<-done
		return 0, fmt.Errorf("exec %s: %w", argv[0], context.Cause(ctx))
	}
	if err != nil {
		return 0, fmt.Errorf("exec %s: reading its output: %w", argv[0], err)
	}
	for {
		st, err := b.cli.ContainerExecInspect(ctx, resp.ID)
		if err != nil {
			return 0, fmt.Errorf("exec %s: %w", argv[0], err)
		}
		if !st.Running {
			return st.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("exec %s: %w", argv[0], context.Cause(ctx))
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Address is the published port on the engine's host.
func (in *instance) Address(ctx context.Context, port int) (string, error) {
	if err := in.running(); err != nil {
		return "", err
	}
	p, err := in.ctr.MappedPort(ctx, nat.Port(fmt.Sprintf("%d/tcp", port)))
	if err != nil {
		return "", fmt.Errorf("port %d is not published (list it in workload.ports): %w", port, err)
	}
	host := "127.0.0.1"
	if !in.b.local {
		if host, err = in.ctr.Host(ctx); err != nil {
			return "", err
		}
	}
	return net.JoinHostPort(host, p.Port()), nil
}

// Logs returns the container's last output lines.
func (in *instance) Logs(ctx context.Context, n int) []string {
	if in.ctr == nil {
		return nil
	}
	in.logsMu.Lock()
	logs, kept := in.logs, in.kept
	in.logsMu.Unlock()
	if !kept {
		return in.b.tail(ctx, in.ctr.GetContainerID(), n)
	}
	if len(logs) > n {
		logs = logs[len(logs)-n:]
	}
	return append([]string(nil), logs...)
}

// keptLogLines is how many output lines Stop keeps.
const keptLogLines = 50

func (b *Backend) tail(ctx context.Context, id string, n int) []string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rc, err := b.cli.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Tail: strconv.Itoa(n)})
	if err != nil {
		return nil
	}
	defer rc.Close()
	buf := &harness.LimitedBuffer{Max: harness.MaxExecOutput}
	stdcopy.StdCopy(buf, buf, rc)
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// tcLogger sends testcontainers-go's messages to the harness log (-v).
type tcLogger struct{ logf func(string, ...any) }

func (l tcLogger) Printf(format string, args ...any) {
	l.logf("testcontainers: "+strings.TrimRight(format, "\n"), args...)
}
