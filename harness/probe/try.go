package probe

import (
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// SelfArg0 is the argv[0] that makes any binary importing this package
// (secprof, its test binaries) run as the probe: the local backend uses it
// when the plan builds no probe image.
const SelfArg0 = "secprof-probe"

func init() {
	if os.Getenv(tryEnv) == "1" {
		tryMain(os.Args[1:])
	}
	if len(os.Args) > 0 && os.Args[0] == SelfArg0 {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
}

// poison is the argument every try passes: an invalid fd, pointer, length
// and flag set all at once, so an allowed call fails its own argument
// checks (EBADF, EFAULT, EINVAL, …) before doing anything, while a denied
// call returns the profile's errno without the kernel looking at them.
const poison = ^uintptr(0)

// tryMain is the throw-away try process: it tries each call and writes a
// line before and after, so the parent can tell which call killed it.
func tryMain(names []string) {
	out := os.Stdout
	for _, name := range names {
		nr, ok := syscallNumbers[name]
		if !ok {
			continue
		}
		out.WriteString("T " + name + "\n")
		var e syscall.Errno
		switch name {
		case "fork", "vfork":
			var r uintptr
			r, _, e = syscall.RawSyscall(uintptr(nr), 0, 0, 0)
			if e == 0 && r == 0 {
				// In the new child: leave at once.
				syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
			}
		case "exit":
			// exit ends only the calling thread: try it on a thread of its
			// own and take silence as the call having run.
			res := make(chan syscall.Errno, 1)
			go func() {
				runtime.LockOSThread()
				_, _, e := syscall.RawSyscall(uintptr(nr), 0, 0, 0)
				res <- e
			}()
			select {
			case e = <-res:
			case <-time.After(300 * time.Millisecond):
				out.WriteString("R " + name + " 0\n")
				continue
			}
		case "clone":
			// Flags that make any kernel refuse: CLONE_SIGHAND without
			// CLONE_VM. Poisoned flags would include CLONE_VM|CLONE_VFORK.
			var r uintptr
			r, _, e = syscall.RawSyscall6(uintptr(nr), 0x00000800, 0, 0, 0, 0, 0)
			if e == 0 && r == 0 {
				syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
			}
		default:
			_, _, e = syscall.RawSyscall6(uintptr(nr), poison, poison, poison, poison, poison, poison)
		}
		out.WriteString("R " + name + " " + strconv.Itoa(int(e)) + "\n")
	}
	os.Exit(0)
}
