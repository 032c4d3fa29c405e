package harness

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/secprof/secprof/harness/probe"
)

// Env are the facts about the environment a backend runs cases in. They
// choose between a case's expectations (when: rules) and appear in reports.
type Env struct {
	Backend string `json:"backend"`
	// AppArmor tells whether the kernel that runs the workloads (the host,
	// or the nodes' kernel) enforces AppArmor.
	AppArmor bool `json:"apparmor"`
	// Kubernetes is the kubelet version on the kube backends ("" elsewhere).
	Kubernetes string `json:"kubernetes,omitempty"`
	// Runtime describes what enforces the profiles, e.g. "libseccomp 2.5.4
	// (local)", "docker 28.5.1", "containerd 2.1.4".
	Runtime string `json:"runtime,omitempty"`
	// Notes are extra facts worth showing (e.g. "AppArmor: not enabled").
	Notes []string `json:"notes,omitempty"`
}

// Backend runs cases somewhere (a child process, a container, a pod) and
// translates what it sees into Observations. Backends never decide
// verdicts: the shared Classifier does. Implementations must be safe for
// concurrent Start calls (cases run in parallel).
type Backend interface {
	// Prepare readies the environment once per run (cluster, images,
	// profiles) and reports its facts.
	Prepare(ctx context.Context) (Env, error)
	// Start starts one case. It returns an error made by Skip when the
	// backend cannot honour the case, any other error for an
	// infrastructure failure. Everything it starts must be removed by the
	// Instance's Stop, or by Close if Start fails half-way.
	Start(ctx context.Context, c *Case) (Instance, error)
	// Close removes everything Prepare made, unless the user asked to keep
	// it. It is called once, also after failures and cancellation, with a
	// context that is not already cancelled.
	Close(ctx context.Context) error
}

// CaseExpander is implemented by backends that run a case more than once:
// the cluster backend with --all-nodes runs it on every node. Run asks
// after Prepare and runs (and reports) each case it returns under that
// case's own name; the plan itself is left as it is.
type CaseExpander interface {
	ExpandCase(c *Case) []*Case
}

// Instance is one started case.
type Instance interface {
	// Observations delivers what the backend sees, in order. The channel
	// is closed once the backend stops watching (after Stop, or when the
	// workload cannot change state any more).
	Observations() <-chan Observation
	// Exec runs a command in the workload's context (same profiles).
	Exec(ctx context.Context, argv []string) (ExecResult, error)
	// Address returns a host:port on this machine that reaches the
	// workload's TCP port.
	Address(ctx context.Context, port int) (string, error)
	// Probe runs the probe under the workload's profiles and returns its
	// report; syscalls are the syscalls to try.
	Probe(ctx context.Context, syscalls []string) (*probe.Report, error)
	// Logs returns up to n of the workload's last output lines.
	Logs(ctx context.Context, n int) []string
	// Stop stops the workload and removes everything of this case. It is
	// idempotent and called exactly once by the runner at least.
	Stop(ctx context.Context) error
}

// Explainer is implemented by backends that can tell which syscalls a
// profile denied (the local backend re-runs the case with the denying
// actions routed to seccomp user notification; kube backends may read
// the kernel's audit log).
type Explainer interface {
	Explain(ctx context.Context, c *Case) (*Explanation, error)
}

// Explanation says why a case did not get its expected outcome.
type Explanation struct {
	// Denied are the syscalls the profile denied, in first-seen order.
	Denied []string `json:"denied,omitempty"`
	// Source says how they were found.
	Source string `json:"source,omitempty"`
	// Detail holds further lines (e.g. the profile that was used).
	Detail []string `json:"detail,omitempty"`
}

// Summary is the one-line form shown under a failed case.
func (e *Explanation) Summary() string {
	if e == nil || len(e.Denied) == 0 {
		return ""
	}
	s := "denied: "
	for i, d := range e.Denied {
		if i > 0 {
			s += ", "
		}
		s += d
	}
	return s + " — add them to the allow list"
}

// ExecResult is the result of Instance.Exec.
type ExecResult struct {
	ExitCode int    `json:"exitCode"`
	Output   string `json:"output"` // stdout and stderr, interleaved
}

// SkipError marks a case a backend cannot honour: reported as skipped with
// the reason, never as passed.
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return "skipped: " + e.Reason }

// Skip returns a SkipError.
func Skip(format string, args ...any) error {
	return &SkipError{Reason: fmt.Sprintf(format, args...)}
}

// IsSkip reports whether err is (or wraps) a SkipError and returns its reason.
func IsSkip(err error) (string, bool) {
	var se *SkipError
	if errors.As(err, &se) {
		return se.Reason, true
	}
	return "", false
}

// BackendConfig is what a backend is created with.
type BackendConfig struct {
	Plan *Plan
	// Options is the decoded test.<backend> section (a pointer returned by
	// BackendSpec.Options), nil when the backend has no options.
	Options any
	// Keep asks to leave clusters/containers behind for debugging.
	Keep bool
	// Builds builds the plan's images (Go workloads) once per run.
	Builds *Builds
	// Logf prints progress when -v is given; never nil.
	Logf func(format string, args ...any)
}

// BackendSpec registers a backend.
type BackendSpec struct {
	Name    string
	Summary string
	New     func(cfg BackendConfig) (Backend, error)
	// Options returns a fresh pointer to the backend's option struct (yaml
	// tags): the plan's test.<name> section is decoded into it strictly.
	Options func() any
	// Flags are CLI flags of `secprof test` that override option keys.
	Flags []BackendFlag
}

// BackendFlag maps a CLI flag to a key of the backend's options.
type BackendFlag struct {
	Name  string // e.g. "kind-node-image"
	Key   string // e.g. "nodeImage"
	Usage string
	Bool  bool
}

var (
	registryMu sync.RWMutex
	registry   = map[string]BackendSpec{}
)

// Register adds a backend; call it from the backend package's init.
// Registering a name twice panics: it is a programming error.
func Register(spec BackendSpec) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if spec.Name == "" || spec.New == nil {
		panic("harness.Register: name and New are required")
	}
	if _, dup := registry[spec.Name]; dup {
		panic("harness.Register: backend " + spec.Name + " registered twice")
	}
	registry[spec.Name] = spec
}

func lookupBackend(name string) (BackendSpec, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	s, ok := registry[name]
	return s, ok
}

// Backends returns the registered backends sorted by name.
func Backends() []BackendSpec {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]BackendSpec, 0, len(registry))
	for _, s := range registry {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// BackendNames returns the registered backend names, sorted.
func BackendNames() []string {
	var ns []string
	for _, s := range Backends() {
		ns = append(ns, s.Name)
	}
	return ns
}

// cleanupTimeout bounds Stop and Close after cancellation.
const cleanupTimeout = 2 * time.Minute
