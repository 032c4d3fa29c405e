package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	libseccomp "github.com/seccomp/libseccomp-golang"
	"github.com/secprof/secprof/harness/filter"
	"golang.org/x/sys/unix"
)

// Call is one syscall notified to the supervisor.
type Call struct {
	Pid  uint32
	Name string // "" when libseccomp does not know the number
	Data filter.Data
}

// auditArch maps libseccomp architectures to the AUDIT_ARCH_* value the
// kernel puts in seccomp_data (needed to evaluate a profile's program).
var auditArch = map[libseccomp.ScmpArch]uint32{
	libseccomp.ArchAMD64:   0xc000003e,
	libseccomp.ArchX86:     0x40000003,
	libseccomp.ArchX32:     0xc000003e,
	libseccomp.ArchARM64:   0xc00000b7,
	libseccomp.ArchARM:     0x40000028,
	libseccomp.ArchPPC64LE: 0xc0000015,
	libseccomp.ArchPPC64:   0x80000015,
	libseccomp.ArchS390X:   0x80000016,
	libseccomp.ArchRISCV64: 0xc00000f3,
}

// Supervise answers the notifications of listener until no process uses
// the filter any more or ctx is done. handle returns 0 to let the call
// run (SECCOMP_USER_NOTIF_FLAG_CONTINUE) or an errno to fail it with.
func Supervise(ctx context.Context, listener *os.File, handle func(Call) syscall.Errno) error {
	if listener == nil {
		return errors.New("no listener")
	}
	fd := int(listener.Fd())
	for {
		if ctx.Err() != nil {
			return nil
		}
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, 100)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("poll on the seccomp listener: %w", err)
		}
		if n == 0 {
			continue
		}
		if pfd[0].Revents&unix.POLLIN == 0 {
			if pfd[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 {
				return nil
			}
			continue
		}
		req, err := libseccomp.NotifReceive(libseccomp.ScmpFd(fd))
		if err != nil {
			if errors.Is(err, syscall.ENOENT) {
				continue // the caller died meanwhile
			}
			return fmt.Errorf("receiving a seccomp notification: %w", err)
		}
		c := Call{Pid: req.Pid, Data: filter.Data{Nr: int32(req.Data.Syscall), Arch: auditArch[req.Data.Arch], IP: req.Data.InstrPointer}}
		copy(c.Data.Args[:], req.Data.Args)
		if name, err := req.Data.Syscall.GetNameByArch(req.Data.Arch); err == nil {
			c.Name = name
		}
		resp := &libseccomp.ScmpNotifResp{ID: req.ID}
		if e := handle(c); e != 0 {
			resp.Error = int32(e)
		} else {
			resp.Flags = libseccomp.NotifRespFlagContinue
		}
		if err := libseccomp.NotifRespond(libseccomp.ScmpFd(fd), resp); err != nil && !errors.Is(err, syscall.ENOENT) {
			return fmt.Errorf("answering a seccomp notification: %w", err)
		}
	}
}

// Recorder collects the syscalls of a program started with
// filter.NotifyAll and a listener. The helper's own execve of the program
// is the boundary: calls before it belong to the helper.
type Recorder struct {
	// Profile, when set, is evaluated on each call: calls it denies are
	// collected in Denied with the action it would have taken.
	Profile *filter.Program

	helperPid uint32
	execed    bool
	seen      map[string]bool
	Used      []string // every syscall the program made, first-seen order
	denied    map[string]bool
	Denied    []string
	Actions   map[string]string
	Unnamed   map[int32]bool
}

// NewRecorder returns a recorder for the program whose helper has pid.
func NewRecorder(helperPid int, profile *filter.Program) *Recorder {
	return &Recorder{Profile: profile, helperPid: uint32(helperPid), seen: map[string]bool{}, denied: map[string]bool{},
		Actions: map[string]string{}, Unnamed: map[int32]bool{}}
}

// Handle is the handler for Supervise: it records and lets every call run.
func (r *Recorder) Handle(c Call) syscall.Errno {
	if !r.execed && c.Pid == r.helperPid {
		if c.Name != "execve" && c.Name != "execveat" {
			return 0
		}
		r.execed = true
	}
	if c.Name == "" {
		r.Unnamed[c.Data.Nr] = true
		return 0
	}
	if !r.seen[c.Name] {
		r.seen[c.Name] = true
		r.Used = append(r.Used, c.Name)
	}
	if r.Profile != nil && !r.denied[c.Name] {
		if ret, err := r.Profile.Eval(c.Data); err == nil && filter.Denies(ret) {
			r.denied[c.Name] = true
			r.Denied = append(r.Denied, c.Name)
			r.Actions[c.Name] = filter.ActionName(ret)
		}
	}
	return 0
}
