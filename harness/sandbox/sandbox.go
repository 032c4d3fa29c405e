package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/secprof/secprof/harness/filter"
	"github.com/secprof/secprof/harness/probe"
	"golang.org/x/sys/unix"
)

// Config describes the program to start.
type Config struct {
	// Path is the program to execve (absolute or relative to Dir); Args
	// its argv (Args[0] included); Env its whole environment.
	Path string
	Args []string
	Env  []string
	Dir  string
	// Filter is installed before execve; nil means no seccomp filter.
	Filter *filter.Program
	// Listener adds SECCOMP_FILTER_FLAG_NEW_LISTENER; the notification fd
	// is then available from Process.Listener.
	Listener bool
	// NoNewPrivs sets no_new_privs (allowPrivilegeEscalation: false).
	// Without it, loading a filter needs CAP_SYS_ADMIN.
	NoNewPrivs bool
	// AppArmor is the profile to execve under ("" for none).
	AppArmor string
	// Caps, when not nil, is the capability set (CAP_ names) the program
	// keeps, as a container would; the rest is dropped (needs root).
	Caps []string
	// Stdout and Stderr receive the program's output (nil discards it).
	Stdout, Stderr io.Writer
}

// outputGrace is how long the end of a program waits for its output.
const outputGrace = 2 * time.Second

// StartError is the program failing to start: the runtime's StartError.
type StartError struct {
	Stage  string // config, chdir, apparmor, seccomp, exec
	Errno  syscall.Errno
	Signal string
	Msg    string
}

func (e *StartError) Error() string {
	return e.Stage + ": " + e.Msg
}

// Process is a started program. Its process group holds everything it
// starts; Kill ends them all.
type Process struct {
	Pid  int
	cmd  *exec.Cmd
	done chan struct{}
	// state is set when done is closed.
	state    *os.ProcessState
	waitErr  error
	listener *os.File
	started  chan struct{}
	startErr error
	copies   sync.WaitGroup
	mu       sync.Mutex
	readers  []*os.File
	killOnce sync.Once
}

// Start starts cfg's program. It returns after execve succeeded (the
// program runs) or failed (*StartError). With cfg.Listener, it also waits
// for the listener fd. ctx bounds the start only.
func Start(ctx context.Context, cfg Config) (*Process, error) {
	if len(cfg.Args) == 0 {
		cfg.Args = []string{cfg.Path}
	}
	hc := helperConfig{Path: cfg.Path, Args: cfg.Args, Env: cfg.Env, Dir: cfg.Dir,
		Listener: cfg.Listener, NoNewPrivs: cfg.NoNewPrivs, AppArmor: cfg.AppArmor}
	if cfg.Filter != nil {
		hc.BPF, hc.Flags = cfg.Filter.BPF, cfg.Filter.Flags
	}
	if cfg.Caps != nil {
		hc.LimitCaps = true
		for _, c := range cfg.Caps {
			n, ok := capNumbers[strings.ToUpper(c)]
			if !ok {
				return nil, fmt.Errorf("unknown capability %q", c)
			}
			hc.Caps = append(hc.Caps, n)
		}
	}
	if hc.Env == nil {
		hc.Env = []string{}
	}
	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer cfgR.Close()
	defer cfgW.Close()
	stR, stW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	startedOK := false
	defer func() {
		if !startedOK {
			stR.Close()
		}
	}()
	defer stW.Close()
	var sockParent, sockChild *os.File
	if cfg.Listener {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		sockParent, sockChild = os.NewFile(uintptr(fds[0]), "sock"), os.NewFile(uintptr(fds[1]), "sock")
		defer sockParent.Close()
		defer sockChild.Close()
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	defer devnull.Close()

	p := &Process{done: make(chan struct{})}
	// Own pipes (not exec.Cmd's copying), so Wait returns when the program
	// exits even if a background child keeps the output open.
	outW, err := p.output(cfg.Stdout)
	if err != nil {
		return nil, err
	}
	errW, err := p.output(cfg.Stderr)
	if err != nil {
		outW.Close()
		return nil, err
	}
	cmd := exec.Command("/proc/self/exe")
	cmd.Args = []string{"secprof-sandbox"}
	cmd.Env = []string{helperEnv + "=1", "GODEBUG=asyncpreemptoff=1"}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, outW, errW
	extra := []*os.File{cfgR, stW}
	if sockChild != nil {
		extra = append(extra, sockChild)
	}
	cmd.ExtraFiles = extra
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		p.copies.Wait()
		return nil, fmt.Errorf("starting the sandbox helper: %w", err)
	}
	p.cmd, p.Pid = cmd, cmd.Process.Pid
	startedOK = true // the status reader owns stR now
	go func() {
		p.state, p.waitErr = cmd.Process.Wait()
		// Output held open by a process that outlives the program (it
		// left the process group, or is killed only at Close) must not
		// delay the exit: give the copies a moment, then cut them.
		copied := make(chan struct{})
		go func() {
			p.copies.Wait()
			close(copied)
		}()
		select {
		case <-copied:
		case <-time.After(outputGrace):
			p.mu.Lock()
			for _, r := range p.readers {
				r.Close()
			}
			p.mu.Unlock()
			<-copied
		}
		close(p.done)
	}()
	cfgR.Close()
	stW.Close()
	if sockChild != nil {
		sockChild.Close()
	}
	b, _ := json.Marshal(hc)
	go func() {
		cfgW.Write(b)
		cfgW.Close()
	}()

	p.started = make(chan struct{})
	go func() {
		b, _ := io.ReadAll(io.LimitReader(stR, 1<<16))
		stR.Close()
		if len(b) > 0 {
			var hs helperStatus
			// Decode the first status only: with SCMP_ACT_KILL only the
			// thread dies, and the status can be reported twice.
			if err := json.NewDecoder(bytes.NewReader(b)).Decode(&hs); err != nil {
				p.startErr = fmt.Errorf("sandbox helper: %q", b)
			} else {
				p.startErr = &StartError{Stage: hs.Stage, Errno: syscall.Errno(hs.Errno), Signal: hs.Signal, Msg: hs.Msg}
			}
		}
		close(p.started)
	}()
	fail := func(err error) (*Process, error) {
		p.Kill()
		<-p.done
		if p.listener != nil {
			p.listener.Close()
		}
		return nil, err
	}
	if cfg.Listener {
		// The program's execve waits for the supervisor, which needs the
		// listener: return as soon as it is here.
		lst := make(chan error, 1)
		go func() {
			f, err := recvFd(sockParent)
			if err == nil {
				p.listener = f
			}
			lst <- err
		}()
		select {
		case err := <-lst:
			if err != nil {
				select {
				case <-p.started:
					if p.startErr != nil {
						return fail(p.startErr)
					}
				case <-time.After(time.Second):
				}
				return fail(err)
			}
			return p, nil
		case <-ctx.Done():
			return fail(ctx.Err())
		}
	}
	select {
	case <-p.started:
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	if p.startErr != nil {
		return fail(p.startErr)
	}
	// With the status pipe at EOF and no message, execve succeeded — or the
	// helper died of a signal (SCMP_ACT_KILL_PROCESS/TRAP at execve) before
	// writing one; the exit status tells, and either is the program failing.
	return p, nil
}

// Started is closed once execve succeeded or failed; StartErr then tells.
func (p *Process) Started() <-chan struct{} { return p.started }

// StartErr is the *StartError of a program that could not execve (valid
// once Started is closed).
func (p *Process) StartErr() error { return p.startErr }

// output returns the write end of a pipe whose read end is copied to w.
func (p *Process) output(w io.Writer) (*os.File, error) {
	if w == nil {
		return os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	}
	if f, ok := w.(*os.File); ok {
		// Dup so the caller's file stays theirs.
		fd, err := unix.Dup(int(f.Fd()))
		if err != nil {
			return nil, err
		}
		return os.NewFile(uintptr(fd), f.Name()), nil
	}
	r, wr, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.readers = append(p.readers, r)
	p.mu.Unlock()
	p.copies.Add(1)
	go func() {
		defer p.copies.Done()
		io.Copy(w, r)
		r.Close()
	}()
	return wr, nil
}

func recvFd(sock *os.File) (*os.File, error) {
	buf := make([]byte, 1)
	oob := make([]byte, unix.CmsgSpace(4))
	for {
		_, oobn, _, _, err := unix.Recvmsg(int(sock.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("receiving the listener fd: %w", err)
		}
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || len(msgs) == 0 {
			return nil, errors.New("receiving the listener fd: the helper ended without sending it")
		}
		fds, err := unix.ParseUnixRights(&msgs[0])
		if err != nil || len(fds) != 1 {
			return nil, errors.New("receiving the listener fd: bad message")
		}
		return os.NewFile(uintptr(fds[0]), "seccomp-listener"), nil
	}
}

// Listener is the seccomp notification fd (Config.Listener), owned by the
// Process: closed by Close.
func (p *Process) Listener() *os.File { return p.listener }

// Done is closed when the program has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// ExitStatus describes how the program ended; valid after Done.
type ExitStatus struct {
	Code   int    // exit code, or 128+signal when killed
	Signal string // e.g. "SIGSYS"; "" when it exited
}

// Status returns the exit status; call after Done is closed.
func (p *Process) Status() ExitStatus {
	if p.state == nil {
		return ExitStatus{Code: -1}
	}
	ws, ok := p.state.Sys().(syscall.WaitStatus)
	if !ok {
		return ExitStatus{Code: p.state.ExitCode()}
	}
	if ws.Signaled() {
		return ExitStatus{Code: 128 + int(ws.Signal()), Signal: SignalName(ws.Signal())}
	}
	return ExitStatus{Code: ws.ExitStatus()}
}

// Kill sends SIGKILL to the program's whole process group.
func (p *Process) Kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.done:
		// The group may outlive its leader (background children).
		syscall.Kill(-p.Pid, syscall.SIGKILL)
		return
	default:
	}
	syscall.Kill(-p.Pid, syscall.SIGKILL)
}

// Close kills the process group, waits for the program and releases the
// listener. It is idempotent.
func (p *Process) Close() {
	p.killOnce.Do(func() {
		p.Kill()
		<-p.done
		// Children that were still running got SIGKILL with the group.
		if p.listener != nil {
			p.listener.Close()
		}
	})
}

// SignalName returns "SIGSYS" for syscall.SIGSYS.
func SignalName(s syscall.Signal) string {
	n := unix.SignalName(s)
	if n == "" {
		return fmt.Sprintf("signal %d", int(s))
	}
	return n
}

// ErrnoName returns "EPERM" for syscall.EPERM.
func ErrnoName(e syscall.Errno) string {
	if n := unix.ErrnoName(e); n != "" {
		return n
	}
	return fmt.Sprintf("errno %d", int(e))
}

// Describe renders a StartError the way a runtime's message reads.
func (e *StartError) Describe(path string) string {
	switch {
	case e.Stage == "exec" && e.Signal != "":
		return fmt.Sprintf("exec %s: %s (killed by %s)", path, e.Msg, e.Signal)
	case e.Stage == "exec":
		return fmt.Sprintf("exec %s: %s", path, strings.TrimSpace(e.Msg))
	}
	return e.Error()
}

// capNumbers maps capability names to their bit numbers.
var capNumbers = func() map[string]int {
	m := map[string]int{}
	for i, n := range probe.CapabilityNames {
		m[n] = i
	}
	return m
}()
