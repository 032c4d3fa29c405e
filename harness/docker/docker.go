// Package docker is the harness backend that runs each case as a container
// on a real Docker engine through testcontainers-go. Profiles reach the
// engine exactly as `docker run --security-opt` passes them: the seccomp
// profile as `seccomp=<profile JSON>` (or `unconfined`, or nothing for
// Docker's default), the AppArmor profile as `apparmor=<name>`, and
// `no-new-privileges` unless the workload allows privilege escalation —
// so dockerd, containerd and runc enforce them, and the backend only
// translates the container's real state (Docker events and inspect) into
// harness observations.
//
// Everything a run creates carries the labels io.secprof.backend=docker
// and io.secprof.run=<run id>: cleanup is registered when a container is
// created, Stop and Close terminate everything, and Close also removes
// whatever still carries the run's label (a container whose creation was
// interrupted by Ctrl-C). See docs/backend-docker.md.
//
// Importing the package registers the backend as "docker".
package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/secprof/secprof/harness"
	"github.com/secprof/secprof/harness/aaload"
	"github.com/testcontainers/testcontainers-go"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
)

func init() {
	harness.Register(harness.BackendSpec{
		Name:    "docker",
		Summary: "containers on a Docker engine (testcontainers-go), profiles passed as --security-opt",
		New:     New,
		Options: func() any { return &Options{} },
		Flags: []harness.BackendFlag{
			{Name: "docker-pull", Key: "pull", Usage: "docker backend: pull images the engine lacks (missing) or never pull (never)"},
		},
	})
}

// Options is the test.docker section of a plan.
type Options struct {
	// Pull says what to do with a workload image the engine does not
	// have: "missing" (default) tries to pull it once, "never" reports it
	// missing at once. Either way a missing image is an infrastructure
	// error, never a verdict.
	Pull string `yaml:"pull"`
}

// Labels every resource of a run carries.
const (
	LabelBackend = "io.secprof.backend"
	LabelRun     = "io.secprof.run"
	LabelCase    = "io.secprof.case"
	// LabelPID and LabelHost name the secprof process that made a
	// container, so that a later run on the same host can remove what a
	// killed run left behind (the job Ryuk does where it can run).
	LabelPID  = "io.secprof.pid"
	LabelHost = "io.secprof.host"
	// LabelBuild marks images the backend built from a plan's images:.
	LabelBuild = "io.secprof.build"
)

// pingTimeout bounds the first contact with the engine.
const pingTimeout = 15 * time.Second

// createTimeout bounds creating a container or network. Creation is not
// cancelled with the run (Ctrl-C): it finishes, so that what it made is
// known and removed.
const createTimeout = 2 * time.Minute

// Backend is the docker backend.
type Backend struct {
	cfg   harness.BackendConfig
	plan  *harness.Plan
	opts  Options
	logf  func(string, ...any)
	runID string

	// Set by Prepare.
	cli      *client.Client // the testcontainers-go client (same host as the containers)
	host     string         // the engine's address, e.g. unix:///run/secprof/docker.sock
	local    bool           // the engine runs on this machine (unix socket)
	apparmor bool           // the engine's host enforces AppArmor
	// clockSkew is the engine's clock minus ours (event timestamps are
	// the engine's).
	clockSkew time.Duration
	network   *testcontainers.DockerNetwork
	images    imageCache
	// aa is the AppArmor of the machine secprof runs on, used when the
	// engine runs there too (a unix socket): dockerd loads nothing but its
	// own docker-default profile, so the plan's profiles are loaded with
	// apparmor_parser like an operator would load them on a node.
	aa aaload.Host

	mu       sync.Mutex
	live     map[string]testcontainers.Container // created, not yet terminated, by ID
	aaLoaded []string
}

// New creates the backend (registered as "docker").
func New(cfg harness.BackendConfig) (harness.Backend, error) {
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	b := &Backend{cfg: cfg, plan: cfg.Plan, logf: logf, aa: aaload.Host{KeepPreloaded: true}, live: map[string]testcontainers.Container{}}
	if o, ok := cfg.Options.(*Options); ok && o != nil {
		b.opts = *o
	}
	switch b.opts.Pull {
	case "":
		b.opts.Pull = "missing"
	case "missing", "never":
	default:
		return nil, fmt.Errorf("docker.pull must be missing or never, not %q", b.opts.Pull)
	}
	var id [6]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, err
	}
	b.runID = hex.EncodeToString(id[:])
	return b, nil
}

// RunID is the value of the io.secprof.run label of everything this run
// creates.
func (b *Backend) RunID() string { return b.runID }

// labels are the labels of a resource of this run.
func (b *Backend) labels() map[string]string {
	host, _ := os.Hostname()
	return map[string]string{
		LabelBackend: "docker",
		LabelRun:     b.runID,
		LabelPID:     strconv.Itoa(os.Getpid()),
		LabelHost:    host,
	}
}

// Prepare checks that the engine answers, decides about the Ryuk reaper,
// creates the run's network and, where the engine's host enforces
// AppArmor, loads the plan's AppArmor profiles.
func (b *Backend) Prepare(ctx context.Context) (harness.Env, error) {
	var env harness.Env
	host, source := EngineHost()
	raw, err := ping(ctx, host, source)
	if err != nil {
		return env, err
	}
	defer raw.Close()
	note, err := decideRyuk(ctx, raw, b.opts.Pull != "never")
	if err != nil {
		return env, err
	}
	if note != "" {
		env.Notes = append(env.Notes, note)
		b.logf("docker: %s", note)
	}
	b.cli, err = tcClient(ctx)
	if err != nil {
		return env, fmt.Errorf("docker engine at %s (%s): %w", host, source, err)
	}
	b.host = b.cli.DaemonHost()
	if b.host != host {
		env.Notes = append(env.Notes, fmt.Sprintf("testcontainers-go resolved the engine to %s (checked %s)", b.host, host))
	}
	b.local = strings.HasPrefix(b.host, "unix://")
	info, err := b.cli.Info(ctx)
	if err != nil {
		return env, fmt.Errorf("docker engine at %s: info: %w", b.host, err)
	}
	if t, err := time.Parse(time.RFC3339Nano, info.SystemTime); err == nil {
		b.clockSkew = time.Until(t)
	}
	for _, o := range info.SecurityOptions {
		if strings.Contains(o, "name=apparmor") {
			b.apparmor = true
		}
	}
	env.AppArmor = b.apparmor
	env.Runtime = fmt.Sprintf("docker %s (default runtime %s, %s)", info.ServerVersion, info.DefaultRuntime, b.host)
	if !b.apparmor {
		env.Notes = append(env.Notes, "AppArmor is not enabled on the engine's host: cases with an AppArmor profile are Blocked, as kubelet blocks them (dockerd itself would silently run them unconfined)")
	}
	if b.local {
		b.reapStale(ctx)
	}

	// Not cancelled half-way: an interrupted request may still create the
	// network after we stopped listening, with no one left to remove it.
	nctx, ncancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
	nw, err := tcnetwork.New(nctx, tcnetwork.WithLabels(b.labels()))
	ncancel()
	if nw != nil {
		b.network = nw
	}
	if err != nil {
		return env, fmt.Errorf("creating the run's network: %w", err)
	}
	if ctx.Err() != nil {
		return env, context.Cause(ctx)
	}
	b.logf("docker: engine %s at %s, run %s, network %s", info.ServerVersion, b.host, b.runID, nw.Name)

	// Build and import the plan's images now, so no case's time includes
	// a build (as the local backend does).
	names := make([]string, 0, len(b.plan.Images))
	for n := range b.plan.Images {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, err := b.image(ctx, n); err != nil {
			return env, err
		}
	}

	if b.apparmor && b.plan.Profiles.AppArmor != "" {
		if !b.local {
			env.Notes = append(env.Notes, "the engine is not on this machine: load the plan's AppArmor profiles on its host yourself")
		} else {
			loaded, err := b.aa.LoadDir(ctx, b.plan.Profiles.AppArmor, func(format string, args ...any) { b.logf("docker: "+format, args...) })
			b.mu.Lock()
			b.aaLoaded = loaded
			b.mu.Unlock()
			if err != nil {
				return env, err
			}
		}
	}
	return env, nil
}

// Close terminates every container of the run that is still there, removes
// the run's network and unloads the AppArmor profiles it loaded — unless
// the user asked to keep them.
func (b *Backend) Close(ctx context.Context) error {
	b.mu.Lock()
	live := make([]testcontainers.Container, 0, len(b.live))
	for _, c := range b.live {
		live = append(live, c)
	}
	loaded := b.aaLoaded
	b.aaLoaded = nil
	b.mu.Unlock()
	if b.cli == nil {
		return nil
	}
	defer b.cli.Close()
	if b.cfg.Keep {
		b.logf("docker: keeping the run's containers and network (label %s=%s)", LabelRun, b.runID)
		return nil
	}
	var errs []error
	for _, c := range live {
		if err := b.terminate(ctx, c); err != nil {
			errs = append(errs, err)
		}
	}
	if b.network != nil {
		if err := b.network.Remove(ctx); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("removing network %s: %w", b.network.Name, err))
		}
	}
	// Whatever carries the run's label and escaped tracking (a create
	// interrupted between the engine's answer and ours).
	if err := b.sweep(ctx); err != nil {
		errs = append(errs, err)
	}
	if len(loaded) > 0 {
		if err := b.aa.Unload(ctx, loaded); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// track registers a created container for Close; it is called from the
// container's PostCreates hook, i.e. as soon as the engine made it.
func (b *Backend) track(c testcontainers.Container) {
	b.mu.Lock()
	b.live[c.GetContainerID()] = c
	b.mu.Unlock()
}

// terminate removes a container (SIGKILL, no grace period: the workload is
// a test subject) and forgets it.
func (b *Backend) terminate(ctx context.Context, c testcontainers.Container) error {
	err := c.Terminate(ctx, testcontainers.StopTimeout(0))
	if err != nil && isNotFound(err) {
		err = nil
	}
	b.mu.Lock()
	delete(b.live, c.GetContainerID())
	b.mu.Unlock()
	if err != nil {
		return fmt.Errorf("terminating container %.12s: %w", c.GetContainerID(), err)
	}
	return nil
}

// sweep removes every container and network with this run's label.
func (b *Backend) sweep(ctx context.Context) error {
	return removeLabelled(ctx, b.cli, filters.NewArgs(filters.Arg("label", LabelRun+"="+b.runID)))
}

// reapStale removes what runs of secprof on this host left behind when
// they were killed before cleaning up (their process is gone). Ryuk does
// this where it can run; this covers engines where it cannot.
func (b *Backend) reapStale(ctx context.Context) {
	host, _ := os.Hostname()
	f := filters.NewArgs(filters.Arg("label", LabelBackend+"=docker"), filters.Arg("label", LabelHost+"="+host))
	var labels []map[string]string
	if cs, err := b.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f}); err == nil {
		for _, c := range cs {
			labels = append(labels, c.Labels)
		}
	}
	if ns, err := b.cli.NetworkList(ctx, network.ListOptions{Filters: f}); err == nil {
		for _, n := range ns {
			labels = append(labels, n.Labels)
		}
	}
	dead := map[string]bool{}
	for _, l := range labels {
		pid, err := strconv.Atoi(l[LabelPID])
		if err != nil || pid <= 0 || processAlive(pid) {
			continue
		}
		dead[l[LabelRun]] = true
	}
	for run := range dead {
		if run == "" {
			continue
		}
		b.logf("docker: removing what the killed run %s left behind", run)
		removeLabelled(ctx, b.cli, filters.NewArgs(filters.Arg("label", LabelRun+"="+run)))
	}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// removeLabelled force-removes the containers, then the networks, that
// match f.
func removeLabelled(ctx context.Context, cli *client.Client, f filters.Args) error {
	var errs []error
	cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return fmt.Errorf("listing the run's containers: %w", err)
	}
	for _, c := range cs {
		if err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("removing container %.12s: %w", c.ID, err))
		}
	}
	ns, err := cli.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("listing the run's networks: %w", err))...)
	}
	for _, n := range ns {
		if err := cli.NetworkRemove(ctx, n.ID); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("removing network %s: %w", n.Name, err))
		}
	}
	return errors.Join(errs...)
}

func isNotFound(err error) bool {
	if err == nil {
		return false
	}
	if cerrdefs.IsNotFound(err) {
		return true
	}
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "no such container") || strings.Contains(s, "no such image") ||
		strings.Contains(s, "not found") || strings.Contains(s, "is already in progress")
}

// EngineHost is the engine secprof talks to and where that choice came
// from: DOCKER_HOST, else Docker's default socket.
func EngineHost() (host, source string) {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h, "DOCKER_HOST"
	}
	return "unix:///var/run/docker.sock", "the default socket; DOCKER_HOST is not set"
}

// EngineError is returned when no Docker engine answers: an
// infrastructure failure of the whole run (exit code 2), never a verdict.
type EngineError struct {
	Host, Source string
	Err          error
}

func (e *EngineError) Error() string {
	return fmt.Sprintf("no Docker engine answers at %s (%s): %v — start one (as root in a secprof checkout: eval \"$(hack/docker-up.sh)\"; or systemctl start docker) or set DOCKER_HOST to a running engine", e.Host, e.Source, e.Err)
}

func (e *EngineError) Unwrap() error { return e.Err }

// ping checks the engine with a plain client before testcontainers-go is
// asked anything: testcontainers-go panics when it finds no engine.
func ping(ctx context.Context, host, source string) (*client.Client, error) {
	if u, err := url.Parse(host); err == nil && u.Scheme == "unix" {
		if _, err := os.Stat(u.Path); err != nil {
			return nil, &EngineError{Host: host, Source: source, Err: err}
		}
	}
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithHost(host), client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, &EngineError{Host: host, Source: source, Err: err}
	}
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if _, err := cli.Ping(pctx); err != nil {
		cli.Close()
		return nil, &EngineError{Host: host, Source: source, Err: err}
	}
	cli.NegotiateAPIVersion(pctx)
	return cli, nil
}

// tcClient returns testcontainers-go's client, turning its panic on a
// missing engine into an error.
func tcClient(ctx context.Context) (cli *client.Client, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("testcontainers-go: %v", r)
		}
	}()
	c, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, err
	}
	return c.Client, nil
}
