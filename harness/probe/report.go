// Package probe reports what confines the process it runs in: the seccomp
// mode, the AppArmor label, the capabilities, and which syscalls of a list
// are denied (each tried in a harmless way). It is pure Go (no cgo) so the
// same code runs as `secprof probe` and as the small static binary in
// fixtures/workloads/probe that goes into test images. Its JSON output is
// a public contract (docs/harness.md).
package probe

// Report is the probe's output.
type Report struct {
	// Seccomp is "disabled", "strict" or "filter" (/proc/self/status).
	Seccomp        string `json:"seccomp"`
	SeccompFilters int    `json:"seccompFilters,omitempty"`
	NoNewPrivs     bool   `json:"noNewPrivs"`
	// AppArmor is the confinement label, e.g.
	// "k8s-apparmor-example-deny-write (enforce)"; "" when the kernel has
	// no AppArmor.
	AppArmor     string       `json:"apparmor"`
	Capabilities Capabilities `json:"capabilities"`
	Syscalls     []Syscall    `json:"syscalls,omitempty"`
}

// Capabilities are the capability sets of the process, by name.
type Capabilities struct {
	Effective []string `json:"effective"`
	Permitted []string `json:"permitted"`
	Bounding  []string `json:"bounding"`
}

// Syscall is the result of trying one syscall.
type Syscall struct {
	Name string `json:"name"`
	// Nr is the syscall number on this architecture (-1 when unknown).
	Nr int `json:"nr"`
	// Result is "denied", "allowed" or "unknown" (not tried: see Note).
	Result string `json:"result"`
	// Errno is the error the call returned ("" on success).
	Errno string `json:"errno,omitempty"`
	// Signal is set when the try was killed (SCMP_ACT_KILL*, SCMP_ACT_TRAP).
	Signal string `json:"signal,omitempty"`
	Note   string `json:"note,omitempty"`
}

// Results of a try.
const (
	Denied  = "denied"
	Allowed = "allowed"
	Unknown = "unknown"
)

// Find returns the result for name, if it was tried.
func (r *Report) Find(name string) (Syscall, bool) {
	for _, s := range r.Syscalls {
		if s.Name == name {
			return s, true
		}
	}
	return Syscall{}, false
}
