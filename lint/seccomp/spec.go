package seccomp

// LinuxSeccomp mirrors the runtime-spec LinuxSeccomp type: the profile as a
// runtime hands it to runc/crun, after the runtime has applied (or dropped)
// the Docker and containers-common extensions. It encodes to the same JSON.
type LinuxSeccomp struct {
	DefaultAction    string         `json:"defaultAction"`
	DefaultErrnoRet  *uint          `json:"defaultErrnoRet,omitempty"`
	Architectures    []string       `json:"architectures,omitempty"`
	Flags            []string       `json:"flags,omitempty"`
	ListenerPath     string         `json:"listenerPath,omitempty"`
	ListenerMetadata string         `json:"listenerMetadata,omitempty"`
	Syscalls         []LinuxSyscall `json:"syscalls,omitempty"`
}

// LinuxSyscall mirrors runtime-spec's LinuxSyscall.
type LinuxSyscall struct {
	Names    []string          `json:"names"`
	Action   string            `json:"action"`
	ErrnoRet *uint             `json:"errnoRet,omitempty"`
	Args     []LinuxSeccompArg `json:"args,omitempty"`
}

// LinuxSeccompArg mirrors runtime-spec's LinuxSeccompArg.
type LinuxSeccompArg struct {
	Index    uint   `json:"index"`
	Value    uint64 `json:"value"`
	ValueTwo uint64 `json:"valueTwo,omitempty"`
	Op       string `json:"op"`
}

// SpecOption adjusts how Spec resolves a profile.
type SpecOption func(*env)

// ForRuntime resolves the profile as runtime rt loads it (default
// containerd, which drops archMap, includes/excludes and the singular name).
func ForRuntime(rt Runtime) SpecOption {
	return func(e *env) {
		e.rt = rt
		e.caps = DefaultCaps(rt)
	}
}

// WithCaps sets the container's capabilities, which decide Docker's and
// CRI-O's includes.caps/excludes.caps (default: the runtime's default set).
func WithCaps(caps ...string) SpecOption {
	return func(e *env) { e.caps = append([]string(nil), caps...) }
}

// WithKernel sets the kernel version ("5.15") Docker compares minKernel
// with (default: newer than any minKernel).
func WithKernel(v string) SpecOption { return func(e *env) { e.kernel = v } }

// WithArch sets the native architecture in Docker's spelling ("amd64",
// "arm64"; default: the architecture secprof runs on).
func WithArch(goarch string) SpecOption { return func(e *env) { e.arch = goarch } }

// Spec returns the runtime-spec form of p as the chosen runtime would build
// it: rules whose includes/excludes do not hold are left out, archMap is
// expanded for the native architecture, singular names are merged and
// errno names resolved — or all of that dropped, as containerd does. Values
// the model could not read (wrong types) are absent.
func (p *Profile) Spec(opts ...SpecOption) *LinuxSeccomp {
	e := newEnv(p, Containerd)
	for _, o := range opts {
		o(&e)
	}
	out := &LinuxSeccomp{
		DefaultAction:    p.DefaultAction.V,
		ListenerPath:     p.ListenerPath.V,
		ListenerMetadata: p.ListenerMetadata.V,
	}
	if p.DefaultErrnoRet.Set && e.keeps("defaultErrnoRet") {
		v := uint(p.DefaultErrnoRet.V)
		out.DefaultErrnoRet = &v
	} else if p.DefaultErrno.Set && e.keeps("defaultErrno") {
		if n, ok := errnoNames[p.DefaultErrno.V]; ok {
			v := uint(n)
			out.DefaultErrnoRet = &v
		}
	}
	out.Architectures = append(out.Architectures, p.Architectures.Values()...)
	if e.keeps("archMap") && len(p.Architectures.Items) == 0 {
		for _, am := range p.ArchMap {
			if dockerArch(am.Architecture.V) == e.arch {
				out.Architectures = append(out.Architectures, am.Architecture.V)
				out.Architectures = append(out.Architectures, am.SubArchitectures.Values()...)
			}
		}
	}
	out.Flags = append(out.Flags, p.Flags.Values()...)
	for _, s := range p.Syscalls {
		if !e.applies(s) {
			continue
		}
		ls := LinuxSyscall{Action: s.Action.V}
		names := s.Names.Items
		if e.keeps("name") {
			names = s.AllNames()
		}
		for _, n := range names {
			ls.Names = append(ls.Names, n.V)
		}
		if len(ls.Names) == 0 {
			continue
		}
		if s.ErrnoRet.Set {
			v := uint(s.ErrnoRet.V)
			ls.ErrnoRet = &v
		} else if s.Errno.Set && e.keeps("errno") {
			if n, ok := errnoNames[s.Errno.V]; ok {
				v := uint(n)
				ls.ErrnoRet = &v
			}
		}
		for _, a := range s.Args {
			ls.Args = append(ls.Args, LinuxSeccompArg{Index: uint(a.Index.V), Value: a.Value.V, ValueTwo: a.ValueTwo.V, Op: a.Op.V})
		}
		out.Syscalls = append(out.Syscalls, ls)
	}
	return out
}

// dockerArch maps a libseccomp architecture to Go's GOARCH spelling, which
// Docker compares archMap and includes.arches against.
func dockerArch(scmp string) string {
	switch scmp {
	case "SCMP_ARCH_X86_64":
		return "amd64"
	case "SCMP_ARCH_X86":
		return "386"
	case "SCMP_ARCH_AARCH64":
		return "arm64"
	case "SCMP_ARCH_ARM":
		return "arm"
	case "SCMP_ARCH_PPC64LE":
		return "ppc64le"
	case "SCMP_ARCH_S390X":
		return "s390x"
	case "SCMP_ARCH_MIPS64":
		return "mips64"
	case "SCMP_ARCH_MIPSEL64":
		return "mips64le"
	case "SCMP_ARCH_RISCV64":
		return "riscv64"
	case "SCMP_ARCH_LOONGARCH64":
		return "loong64"
	}
	return scmp
}
