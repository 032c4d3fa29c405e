// Package local is the harness backend that needs no container engine
// and no cluster: each case's workload runs as a child process of secprof
// with its seccomp profile installed through libseccomp at the point runc
// installs it (no_new_privs, then the filter, then execve), so the real
// kernel enforces the real profile. AppArmor follows kubelet and
// containerd: a host without AppArmor blocks the case, an unloaded profile
// fails container creation, a loaded one confines the execve.
//
// Importing the package registers the backend as "local".
package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	libseccomp "github.com/seccomp/libseccomp-golang"
	"github.com/secprof/secprof/harness"
	"github.com/secprof/secprof/harness/aaload"
	"github.com/secprof/secprof/harness/filter"
	"github.com/secprof/secprof/harness/probe"
)

func init() {
	harness.Register(harness.BackendSpec{
		Name:    "local",
		Summary: "child processes of secprof under libseccomp filters (no containers)",
		New:     New,
	})
}

// RuntimeDefaultProfile is the profile used for seccomp RuntimeDefault:
// the containers-common default (Podman, CRI-O), the closest thing to a
// runtime default a host without a container runtime has.
var RuntimeDefaultProfile = "/usr/share/containers/seccomp.json"

// containerPath is the PATH a container gets by default.
const containerPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Backend is the local backend.
type Backend struct {
	cfg      harness.BackendConfig
	plan     *harness.Plan
	apparmor bool        // the host kernel enforces AppArmor (set by Prepare)
	aa       aaload.Host // profiles the host had before the run stay after it
	ports    portLocks
	logf     func(string, ...any)

	mu      sync.Mutex
	loaded  []string // AppArmor profile files this run loaded
	running map[*instance]bool
}

// New creates the backend (registered as "local").
func New(cfg harness.BackendConfig) (harness.Backend, error) {
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	return &Backend{cfg: cfg, plan: cfg.Plan, aa: aaload.Host{KeepPreloaded: true}, logf: logf, running: map[*instance]bool{}}, nil
}

// Prepare detects AppArmor and loads the plan's AppArmor profiles where
// the kernel has AppArmor.
func (b *Backend) Prepare(ctx context.Context) (harness.Env, error) {
	maj, min, mic := libseccomp.GetLibraryVersion()
	env := harness.Env{Runtime: fmt.Sprintf("libseccomp %d.%d.%d, kernel %s", maj, min, mic, filter.KernelRelease())}
	if _, err := libseccomp.GetNativeArch(); err != nil {
		return env, fmt.Errorf("libseccomp: %w", err)
	}
	// Build the plan's images now, so no case's time includes a build.
	names := make([]string, 0, len(b.plan.Images))
	for n := range b.plan.Images {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b.logf("building image %s", n)
		if _, err := b.cfg.Builds.Binary(ctx, n); err != nil {
			return env, err
		}
	}
	b.apparmor = aaload.Enabled()
	env.AppArmor = b.apparmor
	if !env.AppArmor {
		env.Notes = append(env.Notes, "AppArmor is not enabled on this host: cases with an AppArmor profile are Blocked, as kubelet blocks them")
		return env, nil
	}
	if dir := b.plan.Profiles.AppArmor; dir != "" {
		loaded, err := b.aa.LoadDir(ctx, dir, b.logf)
		b.mu.Lock()
		b.loaded = loaded
		b.mu.Unlock()
		if err != nil {
			return env, err
		}
	}
	return env, nil
}

// Close kills whatever still runs and unloads the AppArmor profiles this
// run loaded, unless asked to keep them.
func (b *Backend) Close(ctx context.Context) error {
	b.mu.Lock()
	insts := make([]*instance, 0, len(b.running))
	for in := range b.running {
		insts = append(insts, in)
	}
	loaded := b.loaded
	b.loaded = nil
	b.mu.Unlock()
	for _, in := range insts {
		in.Stop(ctx)
	}
	if b.cfg.Keep || len(loaded) == 0 {
		return nil
	}
	return b.aa.Unload(ctx, loaded)
}

// spec is a case resolved for this host.
type spec struct {
	path   string
	argv   []string
	env    []string
	filter *filter.Program
	nnp    bool
	aa     string
	caps   []string
	// early is the deciding observation when the runtime would refuse
	// the case before running anything.
	early *harness.Observation
	// imageBin/binPath map the image's binary path to the built binary,
	// for exec checks naming it.
	imageBin, binPath string
}

// resolve turns a case into what to run. Errors made by harness.Skip mean
// the case cannot be honoured here.
func (b *Backend) resolve(ctx context.Context, c *harness.Case) (*spec, error) {
	if c.Workload == nil {
		return nil, harness.Skip("a Pod manifest (pod:) needs a Kubernetes backend (kind, cluster)")
	}
	w := c.Workload
	s := &spec{nnp: w.AllowPrivilegeEscalation == nil || !*w.AllowPrivilegeEscalation, caps: containerCaps(w.Capabilities)}

	// AppArmor first: kubelet's admission runs before the runtime.
	switch c.AppArmorRef.Kind {
	case harness.AppArmorLocalhost, harness.AppArmorRuntimeDefault:
		if !b.apparmor {
			o := harness.Rejected(harness.ReasonAppArmor, "Cannot enforce AppArmor: AppArmor is not enabled on the host")
			s.early = &o
			return s, nil
		}
		if c.AppArmorRef.Kind == harness.AppArmorRuntimeDefault {
			return nil, harness.Skip("the local backend has no runtime/default AppArmor profile")
		}
		if found, _ := b.aa.Loaded(c.AppArmorRef.Name); !found {
			o := harness.CreateFailed("failed to generate apparmor spec opts: apparmor profile not found " + c.AppArmorRef.Name)
			s.early = &o
			return s, nil
		}
		s.aa = c.AppArmorRef.Name
	}

	var prof *filter.Profile
	switch c.SeccompRef.Kind {
	case harness.SeccompLocalhost:
		ref := c.SeccompRef
		if ref.Missing {
			o := harness.CreateFailed(fmt.Sprintf("failed to generate seccomp spec opts: cannot load seccomp profile %q: open %s: no such file or directory", ref.File, ref.File))
			s.early = &o
			return s, nil
		}
		p, err := filter.LoadFile(ref.File)
		if err != nil {
			o := harness.CreateFailed("failed to generate seccomp spec opts: " + err.Error())
			s.early = &o
			return s, nil
		}
		prof = p
	case harness.SeccompRuntimeDefault:
		p, err := filter.LoadFile(RuntimeDefaultProfile)
		if err != nil {
			return nil, harness.Skip("seccomp RuntimeDefault needs a runtime default profile on this host (%s, from Debian's golang-github-containers-common): %v", RuntimeDefaultProfile, err)
		}
		prof = p
	}
	if prof != nil {
		if prof.UsesNotify() {
			return nil, harness.Skip("the profile uses SCMP_ACT_NOTIFY, which needs the runtime's seccomp agent (listenerPath)")
		}
		prog, err := filter.Compile(prof, filter.Options{Caps: s.caps})
		if err != nil {
			o := harness.CreateFailed("failed to generate seccomp spec opts: " + err.Error())
			s.early = &o
			return s, nil
		}
		s.filter = prog
	}

	if err := b.command(ctx, w, s); err != nil {
		return nil, err
	}
	s.env = []string{"PATH=" + containerPath, "HOSTNAME=secprof-local"}
	if h := os.Getenv("HOME"); h != "" {
		s.env = append(s.env, "HOME="+h)
	}
	keys := make([]string, 0, len(w.Env))
	for k := range w.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s.env = append(s.env, k+"="+w.Env[k])
	}
	return s, nil
}

// command finds the program: a plan-built image's binary, workload.local,
// or the command on this host.
func (b *Backend) command(ctx context.Context, w *harness.Workload, s *spec) error {
	if img, ok := b.plan.Images[w.Image]; ok && w.Image != "" && len(w.Local) == 0 {
		bin, err := b.cfg.Builds.Binary(ctx, w.Image)
		if err != nil {
			return err
		}
		argv := append([]string(nil), img.Entrypoint...)
		if len(w.Command) > 0 {
			argv = append([]string(nil), w.Command...)
		}
		argv = append(argv, w.Args...)
		s.argv, s.imageBin, s.binPath = argv, img.Binary, bin
		if argv[0] == img.Binary {
			s.path = bin
			return nil
		}
		p, err := b.lookPath(argv[0])
		if err != nil {
			return harness.Skip("%q is neither the image's binary %s nor a program on this host", argv[0], img.Binary)
		}
		s.path = p
		return nil
	}
	var argv []string
	if len(w.Local) > 0 {
		argv = append([]string(nil), w.Local...)
	} else {
		argv = append(append([]string(nil), w.Command...), w.Args...)
	}
	if len(argv) == 0 {
		return harness.Skip("image %q has no command the local backend can run: give workload.local or build it in images:", w.Image)
	}
	p, err := b.lookPath(argv[0])
	if err != nil {
		return harness.Skip("%q is not a program on this host: give workload.local, or build the image in images:", argv[0])
	}
	s.path, s.argv = p, argv
	return nil
}

func (b *Backend) lookPath(name string) (string, error) {
	if strings.Contains(name, "/") && !filepath.IsAbs(name) {
		name = filepath.Join(b.plan.Dir, name)
	}
	if strings.Contains(name, "/") {
		st, err := os.Stat(name)
		if err != nil {
			return "", err
		}
		if st.IsDir() || st.Mode()&0o111 == 0 {
			return "", errors.New("not executable")
		}
		return name, nil
	}
	for _, dir := range filepath.SplitList(containerPath) {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return exec.LookPath(name)
}

// containerCaps is the capability set a container would get: the
// runtime's default plus add minus drop ("ALL" works as in Kubernetes).
func containerCaps(c harness.Capabilities) []string {
	set := map[string]bool{}
	for _, x := range filter.DefaultCaps {
		set[x] = true
	}
	norm := func(s string) string {
		s = strings.ToUpper(s)
		if !strings.HasPrefix(s, "CAP_") {
			s = "CAP_" + s
		}
		return s
	}
	for _, d := range c.Drop {
		if strings.EqualFold(d, "ALL") {
			set = map[string]bool{}
			continue
		}
		delete(set, norm(d))
	}
	for _, a := range c.Add {
		if strings.EqualFold(a, "ALL") {
			for _, x := range probe.CapabilityNames {
				set[x] = true
			}
			continue
		}
		set[norm(a)] = true
	}
	out := make([]string, 0, len(set))
	for x := range set {
		out = append(out, x)
	}
	sort.Strings(out)
	return out
}

// portLocks serialise cases that listen on the same port: on one host
// they would collide where containers each have their own network.
type portLocks struct {
	mu    sync.Mutex
	ports map[int]chan struct{}
}

func (l *portLocks) acquire(ctx context.Context, ports []int) (func(), error) {
	ps := append([]int(nil), ports...)
	sort.Ints(ps) // a fixed order cannot deadlock
	var held []chan struct{}
	release := func() {
		for _, ch := range held {
			<-ch
		}
	}
	for i, p := range ps {
		if i > 0 && ps[i-1] == p {
			continue
		}
		l.mu.Lock()
		if l.ports == nil {
			l.ports = map[int]chan struct{}{}
		}
		ch := l.ports[p]
		if ch == nil {
			ch = make(chan struct{}, 1)
			l.ports[p] = ch
		}
		l.mu.Unlock()
		select {
		case ch <- struct{}{}:
			held = append(held, ch)
		case <-ctx.Done():
			release()
			return nil, ctx.Err()
		}
	}
	return release, nil
}

// portFree waits briefly for a port to be free on this host.
func portFree(ctx context.Context, port int) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		ln, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
		if err == nil {
			ln.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("port %d is in use on this host: %v", port, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
