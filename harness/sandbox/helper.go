// Package sandbox starts a program with a seccomp filter installed at the
// same point runc installs it: in the child, on the thread that calls
// execve, immediately before execve, with no_new_privs. Go cannot run code
// between fork and exec, so the child is this same binary re-executed in a
// helper mode (recognised in init, before main runs) that loads the filter
// and execve's the workload. The filter is installed without TSYNC on the
// execve-ing thread only, so the helper's Go runtime on its other threads
// never runs under the workload's profile; execve then leaves a single
// thread carrying the filter, exactly like a container's first process.
//
// With a listener, the helper hands the seccomp user-notification fd back
// to the supervisor over a socketpair (SCM_RIGHTS).
package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// helperEnv marks the re-executed helper; it is never passed on to the
// workload.
const helperEnv = "_SECPROF_SANDBOX_HELPER"

// File descriptors of the helper.
const (
	fdConfig = 3 // config JSON, read to EOF
	fdStatus = 4 // status, close-on-exec: EOF without data = execve succeeded
	fdSock   = 5 // socketpair end for the listener fd
)

// helperConfig is what the supervisor sends the helper.
type helperConfig struct {
	Path       string   `json:"path"`
	Args       []string `json:"args"`
	Env        []string `json:"env"`
	Dir        string   `json:"dir,omitempty"`
	BPF        []byte   `json:"bpf,omitempty"`
	Flags      uint     `json:"flags,omitempty"`
	Listener   bool     `json:"listener,omitempty"`
	NoNewPrivs bool     `json:"noNewPrivs,omitempty"`
	AppArmor   string   `json:"apparmor,omitempty"`
	// Caps, when set, is the capability set (numbers) to keep: the rest is
	// dropped from the bounding and inheritable sets, so that root's
	// execve gets a container's capabilities.
	Caps []int `json:"caps,omitempty"`
	// LimitCaps says Caps applies (an empty Caps drops everything).
	LimitCaps bool `json:"limitCaps,omitempty"`
}

// helperStatus is what the helper reports when it cannot execve.
type helperStatus struct {
	Stage  string `json:"stage"`
	Errno  int    `json:"errno,omitempty"`
	Signal string `json:"signal,omitempty"`
	Msg    string `json:"msg"`
}

func init() {
	if os.Getenv(helperEnv) == "1" {
		helperMain()
	}
}

var (
	execErrno  atomic.Int64 // set by the filtered thread when execve failed
	listenerFd atomic.Int64 // the listener fd, -1 until known
)

func helperMain() {
	// init runs on the main thread; keep this goroutine on it.
	runtime.LockOSThread()
	// Once the filter is loaded this thread may make no syscall it is not
	// allowed to, so nothing may need it: no GC, no preemption (the
	// supervisor sets GODEBUG=asyncpreemptoff=1), and another P for the
	// watcher.
	debug.SetGCPercent(-1)
	if runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
	listenerFd.Store(-1)
	for _, fd := range []int{fdConfig, fdStatus, fdSock} {
		unix.CloseOnExec(fd)
	}
	status := os.NewFile(fdStatus, "status")
	fail := func(stage string, errno syscall.Errno, format string, args ...any) {
		st := helperStatus{Stage: stage, Errno: int(errno), Msg: fmt.Sprintf(format, args...)}
		b, _ := json.Marshal(st)
		status.Write(b)
		os.Exit(128)
	}
	b, err := io.ReadAll(io.LimitReader(os.NewFile(fdConfig, "config"), 64<<20))
	if err != nil {
		fail("config", 0, "reading the sandbox config: %v", err)
	}
	unix.Close(fdConfig)
	var cfg helperConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		fail("config", 0, "decoding the sandbox config: %v", err)
	}
	if cfg.Dir != "" {
		if err := os.Chdir(cfg.Dir); err != nil {
			fail("chdir", errnoOf(err), "chdir to %s: %v", cfg.Dir, err)
		}
	}
	if cfg.AppArmor != "" {
		if err := setAppArmorExec(cfg.AppArmor); err != nil {
			fail("apparmor", errnoOf(err), "apply apparmor profile %s: %v", cfg.AppArmor, err)
		}
	}
	if cfg.LimitCaps {
		if err := limitCaps(cfg.Caps); err != nil {
			fail("capabilities", errnoOf(err), "%v", err)
		}
	}
	path, err := syscall.BytePtrFromString(cfg.Path)
	if err != nil {
		fail("exec", 0, "invalid path %q", cfg.Path)
	}
	argv, err := syscall.SlicePtrFromStrings(cfg.Args)
	if err != nil {
		fail("exec", 0, "invalid argument")
	}
	envv, err := syscall.SlicePtrFromStrings(cfg.Env)
	if err != nil {
		fail("exec", 0, "invalid environment")
	}
	var prog unix.SockFprog
	if len(cfg.BPF) > 0 {
		if len(cfg.BPF)%8 != 0 || len(cfg.BPF)/8 > 4096 {
			fail("seccomp", 0, "invalid filter of %d bytes", len(cfg.BPF))
		}
		// Copy into memory the GC will not move (it is off anyway).
		ins := make([]unix.SockFilter, len(cfg.BPF)/8)
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&ins[0])), len(cfg.BPF)), cfg.BPF)
		prog = unix.SockFprog{Len: uint16(len(ins)), Filter: &ins[0]}
	}
	flags := cfg.Flags
	if cfg.Listener {
		flags |= 1 << 3 // SECCOMP_FILTER_FLAG_NEW_LISTENER
	}
	// A SCMP_ACT_TRAP'd execve must kill the process like it kills a
	// container's process, not run Go's crash handler.
	var sa [4]uint64 // struct sigaction, all zero: SIG_DFL
	syscall.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGSYS), uintptr(unsafe.Pointer(&sa)), 0, 8, 0, 0)
	tid := unix.Gettid()

	started := make(chan struct{})
	go watch(tid, status, cfg.Listener, started)
	<-started

	if cfg.NoNewPrivs {
		if _, _, e := syscall.RawSyscall(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0); e != 0 {
			fail("seccomp", e, "prctl(PR_SET_NO_NEW_PRIVS): %v", e)
		}
	}
	if prog.Len > 0 {
		r, _, e := syscall.RawSyscall(unix.SYS_SECCOMP, 1 /* SECCOMP_SET_MODE_FILTER */, uintptr(flags), uintptr(unsafe.Pointer(&prog)))
		if e != 0 {
			fail("seccomp", e, "loading the seccomp filter: %v", e)
		}
		if cfg.Listener {
			listenerFd.Store(int64(r))
		}
	}
	// From here on this thread runs under the filter: only execve, then
	// (if execve failed) a spin the watcher ends. With a listener, execve
	// itself is a notification the supervisor answers once it holds the fd.
	_, _, e := syscall.RawSyscall(unix.SYS_EXECVE, uintptr(unsafe.Pointer(path)),
		uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])))
	execErrno.Store(int64(e))
	for {
	}
}

// watch runs on another (unfiltered) thread: it passes the listener fd to
// the supervisor and reports a failed execve, or the filtered thread being
// killed by SCMP_ACT_KILL_THREAD, then ends the process.
func watch(tid int, status *os.File, listener bool, started chan<- struct{}) {
	close(started)
	sent := !listener
	statPath := "/proc/self/task/" + strconv.Itoa(tid) + "/stat"
	for {
		if e := execErrno.Load(); e != 0 {
			st := helperStatus{Stage: "exec", Errno: int(e), Msg: syscall.Errno(e).Error()}
			b, _ := json.Marshal(st)
			status.Write(b)
			os.Exit(128)
		}
		if !sent {
			if fd := listenerFd.Load(); fd >= 0 {
				if err := unix.Sendmsg(fdSock, []byte("L"), unix.UnixRights(int(fd)), nil, 0); err != nil {
					st := helperStatus{Stage: "seccomp", Errno: int(errnoOf(err)), Msg: "sending the listener: " + err.Error()}
					b, _ := json.Marshal(st)
					status.Write(b)
					unix.Kill(os.Getpid(), unix.SIGKILL)
				}
				sent = true
			}
		}
		if b, err := os.ReadFile(statPath); err == nil {
			if i := strings.LastIndexByte(string(b), ')'); i > 0 && i+2 < len(b) && (b[i+2] == 'Z' || b[i+2] == 'X') {
				st := helperStatus{Stage: "exec", Signal: "SIGSYS", Msg: "the seccomp filter killed the process at execve"}
				js, _ := json.Marshal(st)
				status.Write(js)
				unix.Kill(os.Getpid(), unix.SIGSYS)
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
}

func errnoOf(err error) syscall.Errno {
	var e syscall.Errno
	for err != nil {
		if x, ok := err.(syscall.Errno); ok {
			return x
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			break
		}
		err = u.Unwrap()
	}
	return e
}

// setAppArmorExec asks AppArmor to confine the next execve of this thread.
func setAppArmorExec(profile string) error {
	data := []byte("exec " + profile)
	err := os.WriteFile("/proc/thread-self/attr/apparmor/exec", data, 0)
	if err == nil {
		return nil
	}
	return os.WriteFile("/proc/thread-self/attr/exec", data, 0)
}

// limitCaps keeps only keep in this thread's bounding and inheritable
// sets. Without CAP_SETPCAP (not root) there is nothing to drop: such a
// process has no capabilities to begin with.
func limitCaps(keep []int) error {
	want := map[int]bool{}
	for _, c := range keep {
		want[c] = true
	}
	for c := 0; c < 64; c++ {
		r, _, e := syscall.RawSyscall(unix.SYS_PRCTL, unix.PR_CAPBSET_READ, uintptr(c), 0)
		if e != 0 {
			break // past the last capability this kernel knows
		}
		if r == 1 && !want[c] {
			if _, _, e := syscall.RawSyscall(unix.SYS_PRCTL, unix.PR_CAPBSET_DROP, uintptr(c), 0); e != 0 {
				if e == unix.EPERM {
					return nil
				}
				return fmt.Errorf("dropping capability %d: %v", c, e)
			}
		}
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %v", err)
	}
	var mask [2]uint32
	for c := range want {
		if c < 64 {
			mask[c/32] |= 1 << (c % 32)
		}
	}
	for i := range data {
		data[i].Inheritable &= mask[i]
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %v", err)
	}
	return nil
}
