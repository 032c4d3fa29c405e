package seccomp

import (
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/secprof/secprof/config"
)

// Runtime is the container runtime that loads a profile. Runtimes decode
// profiles into different Go types, so they honour different fields:
//
//   - containerd (the Kubernetes default) decodes a Localhost profile into
//     the runtime-spec LinuxSeccomp type: archMap, includes/excludes, the
//     singular name and containers-common's errno names are dropped.
//   - CRI-O uses containers-common: archMap, name, includes/excludes caps and
//     arches, defaultErrno/errno are honoured; minKernel is not.
//   - Docker (moby) honours archMap, name, includes/excludes caps, arches
//     and minKernel; not the errno names.
type Runtime string

const (
	Containerd Runtime = "containerd"
	CRIO       Runtime = "cri-o"
	Docker     Runtime = "docker"
)

// RuntimeFromConfig returns lint.runtime, defaulting to containerd.
func RuntimeFromConfig(c *config.File) Runtime {
	if c != nil {
		switch Runtime(c.Lint.Runtime) {
		case CRIO, Docker:
			return Runtime(c.Lint.Runtime)
		}
	}
	return Containerd
}

// honours reports whether rt applies field (a profile key: "archMap",
// "includes", "excludes", "minKernel", "name", "defaultErrno", "errno",
// "comment" is never applied and never matters).
func (rt Runtime) honours(field string) bool {
	switch field {
	case "archMap", "name", "includes", "excludes", "caps", "arches":
		return rt == Docker || rt == CRIO
	case "minKernel":
		return rt == Docker
	case "defaultErrno", "errno":
		return rt == CRIO
	}
	return true
}

// DefaultCaps are the capabilities a container gets when the pod or the
// docker run command asks for none (Docker's and containerd's default set;
// CRI-O's is a subset).
func DefaultCaps(rt Runtime) []string {
	if rt == CRIO {
		return []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID"}
	}
	return []string{"CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_MKNOD", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"}
}

// env is what a runtime knows when it resolves a profile's conditions.
type env struct {
	rt     Runtime
	spo    bool     // the profile is an SPO spec: the CRD has no conditions
	caps   []string // the container's capabilities
	kernel string   // "" means a kernel newer than any minKernel
	arch   string   // Docker's name of the native architecture (GOARCH)
}

func newEnv(p *Profile, rt Runtime) env {
	return env{rt: rt, spo: p != nil && p.Format == FormatSPO, caps: DefaultCaps(rt), arch: runtime.GOARCH}
}

// keeps reports whether a runtime field survives decoding.
func (e env) keeps(field string) bool {
	if e.spo {
		// The API server prunes what the CRD does not declare.
		switch field {
		case "archMap", "name", "includes", "excludes", "caps", "arches", "minKernel", "defaultErrno", "errno", "defaultErrnoRet", "comment":
			return false
		}
	}
	return e.rt.honours(field)
}

// applies reports whether rule s is part of the filter the runtime builds
// for a container in env e.
func (e env) applies(s *Syscall) bool {
	if s.Includes != nil && e.keeps("includes") {
		in := s.Includes
		for _, c := range in.Caps.Items {
			if !slices.Contains(e.caps, c.V) {
				return false
			}
		}
		if len(in.Arches.Items) > 0 && !slices.Contains(in.Arches.Values(), e.arch) {
			return false
		}
		if in.MinKernel.Set && e.keeps("minKernel") && e.kernel != "" && kernelLess(e.kernel, in.MinKernel.V) {
			return false
		}
	}
	if s.Excludes != nil && e.keeps("excludes") {
		ex := s.Excludes
		for _, c := range ex.Caps.Items {
			if slices.Contains(e.caps, c.V) {
				return false
			}
		}
		if slices.Contains(ex.Arches.Values(), e.arch) {
			return false
		}
		if ex.MinKernel.Set && e.keeps("minKernel") && (e.kernel == "" || !kernelLess(e.kernel, ex.MinKernel.V)) {
			return false
		}
	}
	return true
}

// kernelLess compares "major.minor[.patch…]" versions numerically.
func kernelLess(a, b string) bool {
	pa, pb := kernelParts(a), kernelParts(b)
	for i := 0; i < 2; i++ {
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return false
}

func kernelParts(v string) [2]int {
	var out [2]int
	for i, s := range strings.SplitN(v, ".", 3) {
		if i >= 2 {
			break
		}
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				break
			}
			n = n*10 + int(c-'0')
		}
		out[i] = n
	}
	return out
}

// errnoNames maps containers-common's errno names to numbers (Linux
// generic values, the same on every architecture the names are used on).
var errnoNames = map[string]uint64{
	"EPERM": 1, "ENOENT": 2, "ESRCH": 3, "EINTR": 4, "EIO": 5, "ENXIO": 6, "E2BIG": 7, "ENOEXEC": 8,
	"EBADF": 9, "ECHILD": 10, "EAGAIN": 11, "ENOMEM": 12, "EACCES": 13, "EFAULT": 14, "EBUSY": 16,
	"EEXIST": 17, "EXDEV": 18, "ENODEV": 19, "ENOTDIR": 20, "EISDIR": 21, "EINVAL": 22, "ENFILE": 23,
	"EMFILE": 24, "ENOTTY": 25, "EFBIG": 27, "ENOSPC": 28, "ESPIPE": 29, "EROFS": 30, "EMLINK": 31,
	"EPIPE": 32, "ERANGE": 34, "EDEADLK": 35, "ENAMETOOLONG": 36, "ENOLCK": 37, "ENOSYS": 38,
	"ENOTEMPTY": 39, "ELOOP": 40, "ENODATA": 61, "EOPNOTSUPP": 95, "ENOTSUP": 95, "EAFNOSUPPORT": 97,
	"EADDRINUSE": 98, "ECONNREFUSED": 111, "ETIMEDOUT": 110,
}

// errnoName returns a readable name for well-known errno values.
func errnoName(v uint64) string {
	switch v {
	case 1:
		return "EPERM"
	case 38:
		return "ENOSYS"
	case 13:
		return "EACCES"
	case 22:
		return "EINVAL"
	case 95:
		return "EOPNOTSUPP"
	}
	return strconv.FormatUint(v, 10)
}
