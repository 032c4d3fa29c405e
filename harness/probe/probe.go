package probe

//go:generate go run gen/main.go

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options configure Run.
type Options struct {
	// Syscalls are the syscalls to try.
	Syscalls []string
	// TryTimeout bounds one try (a call that blocks is reported allowed).
	TryTimeout time.Duration
}

// MaxSyscalls bounds one probe's list.
const MaxSyscalls = 1024

// Run inspects the current process and tries the syscalls.
func Run(ctx context.Context, o Options) (*Report, error) {
	if len(o.Syscalls) > MaxSyscalls {
		return nil, fmt.Errorf("at most %d syscalls per probe", MaxSyscalls)
	}
	r := &Report{Seccomp: "unknown"}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil, fmt.Errorf("reading /proc/self/status: %w", err)
	}
	caps := map[string]uint64{}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "Seccomp":
			switch v {
			case "0":
				r.Seccomp = "disabled"
			case "1":
				r.Seccomp = "strict"
			case "2":
				r.Seccomp = "filter"
			}
		case "Seccomp_filters":
			r.SeccompFilters, _ = strconv.Atoi(v)
		case "NoNewPrivs":
			r.NoNewPrivs = v == "1"
		case "CapEff", "CapPrm", "CapBnd":
			caps[k], _ = strconv.ParseUint(v, 16, 64)
		}
	}
	r.Capabilities = Capabilities{Effective: capNames(caps["CapEff"]), Permitted: capNames(caps["CapPrm"]), Bounding: capNames(caps["CapBnd"])}
	r.AppArmor = apparmorLabel()
	if len(o.Syscalls) > 0 {
		r.Syscalls, err = trySyscalls(ctx, o)
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}

// apparmorLabel reads the AppArmor confinement of this process; "" when
// the kernel has no AppArmor.
func apparmorLabel() string {
	if _, err := os.Stat("/sys/module/apparmor"); err != nil {
		return ""
	}
	for _, p := range []string{"/proc/self/attr/apparmor/current", "/proc/self/attr/current"} {
		if b, err := os.ReadFile(p); err == nil {
			return strings.TrimRight(string(b), "\x00\n")
		}
	}
	return ""
}

// CapabilityNames are the capability names by bit number (linux/capability.h),
// shared by the probe, the sandbox and the local backend.
var CapabilityNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
	"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

func capNames(mask uint64) []string {
	out := []string{}
	for i := 0; i < 64; i++ {
		if mask&(1<<i) == 0 {
			continue
		}
		if i < len(CapabilityNames) {
			out = append(out, CapabilityNames[i])
		} else {
			out = append(out, fmt.Sprintf("CAP_%d", i))
		}
	}
	return out
}

// Number returns the syscall number of name on this architecture.
func Number(name string) (int, bool) {
	n, ok := syscallNumbers[name]
	return n, ok
}

// notTried are calls that cannot be tried without harm even in a
// throw-away child: pause blocks until a signal.
var notTried = map[string]string{
	"pause": "blocks until a signal; cannot be tried harmlessly",
}

const tryEnv = "_SECPROF_PROBE_TRY"

// tryLine is one result line of the try child: "T name" before a try,
// "R name errno" after (errno 0 for success).
func trySyscalls(ctx context.Context, o Options) ([]Syscall, error) {
	timeout := o.TryTimeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	results := make([]Syscall, len(o.Syscalls))
	var todo []int
	for i, name := range o.Syscalls {
		results[i] = Syscall{Name: name, Nr: -1, Result: Unknown}
		nr, ok := Number(name)
		switch {
		case !ok:
			results[i].Note = "not a syscall on this architecture"
		case notTried[name] != "":
			results[i].Nr = nr
			results[i].Note = notTried[name]
		default:
			results[i].Nr = nr
			todo = append(todo, i)
		}
	}
	for len(todo) > 0 {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		names := make([]string, len(todo))
		for j, i := range todo {
			names[j] = o.Syscalls[i]
		}
		done, err := tryBatch(ctx, names, timeout, func(j int, s Syscall) {
			s.Nr = results[todo[j]].Nr
			results[todo[j]] = s
		})
		if err != nil {
			// No child: the profile may deny clone or execve. Say so
			// rather than guess.
			for _, i := range todo {
				results[i].Note = "could not start the try process: " + err.Error()
			}
			break
		}
		todo = todo[done:]
	}
	return results, nil
}

// tryBatch runs one child over names; it returns how many were settled
// (the child may die on one: that one is settled from how it died).
func tryBatch(ctx context.Context, names []string, timeout time.Duration, set func(int, Syscall)) (int, error) {
	cmd := exec.Command("/proc/self/exe")
	cmd.Args = append([]string{"secprof-probe-try"}, names...)
	cmd.Env = append(os.Environ(), tryEnv+"=1")
	// A session of its own: vhangup and friends must not reach the
	// terminal of whoever runs the probe.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	settled, current := 0, -1
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	finish := func() (int, error) {
		cmd.Process.Kill()
		for range lines {
		}
		cmd.Wait()
		return settled, nil
	}
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				err := cmd.Wait()
				if current >= 0 && current == settled {
					s := Syscall{Name: names[current], Result: Allowed, Note: "the call ended the try process"}
					var ee *exec.ExitError
					if errors.As(err, &ee) {
						if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
							sig := ws.Signal()
							if sig == syscall.SIGSYS {
								s = Syscall{Name: names[current], Result: Denied, Signal: "SIGSYS"}
							} else {
								s.Note = "the call ended the try process with " + sig.String()
							}
						}
					}
					set(current, s)
					settled++
				}
				if settled == 0 {
					return 0, fmt.Errorf("the try process ended without results: %v", err)
				}
				return settled, nil
			}
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
			timer.Reset(timeout)
			kind, rest, _ := strings.Cut(l, " ")
			switch kind {
			case "T":
				current = settled
			case "R":
				name, errno, _ := strings.Cut(rest, " ")
				if settled >= len(names) || names[settled] != name {
					return finish()
				}
				e, _ := strconv.Atoi(errno)
				set(settled, classify(name, syscall.Errno(e)))
				settled++
				current = -1
			}
		case <-timer.C:
			if current >= 0 && current == settled {
				// A call that blocks ran: it was allowed (or the thread
				// was killed by SCMP_ACT_KILL_THREAD and the rest hangs).
				set(current, Syscall{Name: names[current], Result: Unknown, Note: fmt.Sprintf("no answer within %s (blocked, or its thread was killed)", timeout)})
				settled++
			}
			return finish()
		case <-ctx.Done():
			cmd.Process.Kill()
			for range lines {
			}
			cmd.Wait()
			return settled, ctx.Err()
		}
	}
}

// DenyErrnos are the errors a seccomp ERRNO action usually returns; without
// a baseline, a call failing with one of them is reported denied.
var DenyErrnos = map[syscall.Errno]bool{syscall.EPERM: true, syscall.EACCES: true}

func classify(name string, e syscall.Errno) Syscall {
	s := Syscall{Name: name, Result: Allowed}
	if e != 0 {
		s.Errno = errnoName(e)
		if DenyErrnos[e] {
			s.Result = Denied
		}
	}
	return s
}

// Compare refines a report against a baseline taken without the profile
// (same user, same capabilities): a call is denied when it fails
// differently than in the baseline, whatever the error. This removes the
// ambiguity of calls that fail with EPERM anyway.
func Compare(confined, baseline *Report) {
	base := map[string]Syscall{}
	for _, s := range baseline.Syscalls {
		base[s.Name] = s
	}
	for i, s := range confined.Syscalls {
		b, ok := base[s.Name]
		if !ok || b.Result == Unknown || s.Result == Unknown || s.Signal != "" {
			continue
		}
		if s.Errno == b.Errno && b.Signal == "" {
			confined.Syscalls[i].Result = Allowed
			confined.Syscalls[i].Note = "same result as without the profile"
		} else {
			confined.Syscalls[i].Result = Denied
			if b.Errno != "" {
				confined.Syscalls[i].Note = "without the profile: " + b.Errno
			} else {
				confined.Syscalls[i].Note = "succeeds without the profile"
			}
		}
	}
}

func errnoName(e syscall.Errno) string {
	if n, ok := errnoNames[e]; ok {
		return n
	}
	return "errno " + strconv.Itoa(int(e))
}

var errnoNames = map[syscall.Errno]string{
	syscall.EPERM: "EPERM", syscall.ENOENT: "ENOENT", syscall.ESRCH: "ESRCH", syscall.EINTR: "EINTR",
	syscall.EIO: "EIO", syscall.ENXIO: "ENXIO", syscall.E2BIG: "E2BIG", syscall.ENOEXEC: "ENOEXEC",
	syscall.EBADF: "EBADF", syscall.ECHILD: "ECHILD", syscall.EAGAIN: "EAGAIN", syscall.ENOMEM: "ENOMEM",
	syscall.EACCES: "EACCES", syscall.EFAULT: "EFAULT", syscall.EBUSY: "EBUSY", syscall.EEXIST: "EEXIST",
	syscall.EXDEV: "EXDEV", syscall.ENODEV: "ENODEV", syscall.ENOTDIR: "ENOTDIR", syscall.EISDIR: "EISDIR",
	syscall.EINVAL: "EINVAL", syscall.ENFILE: "ENFILE", syscall.EMFILE: "EMFILE", syscall.ENOTTY: "ENOTTY",
	syscall.EFBIG: "EFBIG", syscall.ENOSPC: "ENOSPC", syscall.ESPIPE: "ESPIPE", syscall.EROFS: "EROFS",
	syscall.EMLINK: "EMLINK", syscall.EPIPE: "EPIPE", syscall.EDOM: "EDOM", syscall.ERANGE: "ERANGE",
	syscall.EDEADLK: "EDEADLK", syscall.ENAMETOOLONG: "ENAMETOOLONG", syscall.ENOSYS: "ENOSYS",
	syscall.ENOTSOCK: "ENOTSOCK", syscall.EOPNOTSUPP: "EOPNOTSUPP", syscall.EAFNOSUPPORT: "EAFNOSUPPORT",
	syscall.EPROTONOSUPPORT: "EPROTONOSUPPORT", syscall.ENOTCONN: "ENOTCONN", syscall.ENODATA: "ENODATA",
	syscall.EBADFD: "EBADFD", syscall.EOVERFLOW: "EOVERFLOW",
}

// SortedNames returns the syscall names this probe knows, sorted.
func SortedNames() []string {
	out := make([]string, 0, len(syscallNumbers))
	for n := range syscallNumbers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
