// Package record runs a command with every syscall routed to seccomp user
// notification and writes the smallest profile that lets it run: an
// ERRNO-by-default profile allowing exactly the syscalls the command (and
// its children) made. It is `secprof record`.
package record

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	libseccomp "github.com/seccomp/libseccomp-golang"
	"github.com/secprof/secprof/harness/filter"
	"github.com/secprof/secprof/harness/sandbox"
	"gopkg.in/yaml.v3"
)

// ContainerRuntimeSyscalls are the calls a container runtime makes after
// it has installed the filter and before the workload's execve (runc's
// init is a Go program loading the filter with TSYNC, so its runtime
// threads run under the profile too): --for-container adds them.
var ContainerRuntimeSyscalls = []string{
	"capget", "capset", "chdir", "close", "close_range", "dup3", "epoll_ctl", "epoll_pwait", "execve",
	"exit", "exit_group", "fchdir", "fcntl", "fstat", "fstatfs", "futex", "getdents64", "getpid",
	"getppid", "gettid", "madvise", "mmap", "mprotect", "munmap", "nanosleep", "newfstatat",
	"openat", "prctl", "read", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sched_getaffinity",
	"sched_yield", "setgid", "setgroups", "setuid", "sigaltstack", "tgkill", "write",
}

// Options configure Run.
type Options struct {
	Argv []string
	Dir  string
	// Env is the command's environment (nil: this process's).
	Env []string
	// Duration stops a command that has not exited by then (0: wait).
	Duration time.Duration
	// ForContainer adds ContainerRuntimeSyscalls.
	ForContainer bool
	// NoNewPrivs sets no_new_privs (default true via the CLI).
	NoNewPrivs bool
	Stdout     io.Writer
	Stderr     io.Writer
}

// Result is what a recording found.
type Result struct {
	// Syscalls are the calls made, sorted.
	Syscalls []string
	// ExitCode of the command (128+n when killed by signal n; -1 when it
	// was stopped after Duration).
	ExitCode int
	Signal   string
	// Unknown are syscall numbers libseccomp could not name.
	Unknown []int32
}

// Run records argv.
func Run(ctx context.Context, o Options) (*Result, error) {
	if len(o.Argv) == 0 {
		return nil, errors.New("no command to record")
	}
	path, err := exec.LookPath(o.Argv[0])
	if err != nil {
		return nil, err
	}
	if !filepath.IsAbs(path) {
		if path, err = filepath.Abs(path); err != nil {
			return nil, err
		}
	}
	prog, err := filter.NotifyAll()
	if err != nil {
		return nil, err
	}
	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	p, err := sandbox.Start(ctx, sandbox.Config{Path: path, Args: o.Argv, Env: env, Dir: o.Dir, Filter: prog,
		Listener: true, NoNewPrivs: o.NoNewPrivs, Stdout: o.Stdout, Stderr: o.Stderr})
	if err != nil {
		return nil, err
	}
	defer p.Close()
	rec := sandbox.NewRecorder(p.Pid, nil)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if o.Duration > 0 {
		time.AfterFunc(o.Duration, cancel)
	}
	supErr := make(chan error, 1)
	go func() { supErr <- sandbox.Supervise(sctx, p.Listener(), rec.Handle) }()
	stopped := false
	select {
	case <-p.Done():
	case <-sctx.Done():
		stopped = true
	}
	// Background children end with the command.
	p.Kill()
	<-p.Done()
	// The listener hangs up once the last filtered process is gone.
	if err := <-supErr; err != nil {
		return nil, err
	}
	select {
	case <-p.Started():
		if se := p.StartErr(); se != nil {
			return nil, fmt.Errorf("starting %s: %w", o.Argv[0], se)
		}
	default:
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	res := &Result{}
	st := p.Status()
	res.ExitCode, res.Signal = st.Code, st.Signal
	if stopped {
		res.ExitCode, res.Signal = -1, ""
	}
	res.Syscalls = append(res.Syscalls, rec.Used...)
	if o.ForContainer {
		res.Syscalls = append(res.Syscalls, ContainerRuntimeSyscalls...)
	}
	res.Syscalls = uniqSorted(res.Syscalls)
	for nr := range rec.Unnamed {
		res.Unknown = append(res.Unknown, nr)
	}
	sort.Slice(res.Unknown, func(i, j int) bool { return res.Unknown[i] < res.Unknown[j] })
	return res, nil
}

func uniqSorted(ss []string) []string {
	sort.Strings(ss)
	out := ss[:0]
	for i, s := range ss {
		if i == 0 || s != ss[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// Profile is the smallest profile letting the recorded command run.
func (r *Result) Profile() *filter.Profile {
	return &filter.Profile{
		DefaultAction: "SCMP_ACT_ERRNO",
		Architectures: nativeArches(),
		Syscalls:      []filter.Rule{{Names: append([]string(nil), r.Syscalls...), Action: "SCMP_ACT_ALLOW"}},
	}
}

// nativeArches lists this machine's architecture with its compat ones,
// as Docker's archMap does.
func nativeArches() []string {
	a, err := libseccomp.GetNativeArch()
	if err != nil {
		return nil
	}
	switch a {
	case libseccomp.ArchAMD64:
		return []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}
	case libseccomp.ArchARM64:
		return []string{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}
	}
	return []string{"SCMP_ARCH_" + strings.ToUpper(a.String())}
}

// Formats of WriteProfile.
const (
	FormatJSON = "json"
	FormatSPO  = "spo"
)

var k8sName = regexp.MustCompile(`[^a-z0-9-]+`)

// WriteProfile writes p as OCI/Docker JSON, or as a Security Profiles
// Operator SeccompProfile named name.
func WriteProfile(w io.Writer, p *filter.Profile, format, name string) error {
	switch format {
	case FormatJSON, "":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "    ")
		return enc.Encode(p)
	case FormatSPO:
		n := strings.Trim(k8sName.ReplaceAllString(strings.ToLower(name), "-"), "-")
		if n == "" {
			n = "recorded"
		}
		if len(n) > 63 {
			n = strings.Trim(n[:63], "-")
		}
		doc := map[string]any{
			"apiVersion": "security-profiles-operator.x-k8s.io/v1beta1",
			"kind":       "SeccompProfile",
			"metadata":   map[string]any{"name": n},
			"spec":       p,
		}
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(doc); err != nil {
			return err
		}
		return enc.Close()
	}
	return fmt.Errorf("unknown format %q (json or spo)", format)
}
