package seccomp

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	libseccomp "github.com/seccomp/libseccomp-golang"

	"github.com/secprof/secprof/lint"
)

// MaxInstructions is the kernel's limit on a BPF program (BPF_MAXINSNS):
// seccomp(2) refuses longer filters with EINVAL.
const MaxInstructions = 4096

// CompileResult describes the BPF program libseccomp builds from a profile.
type CompileResult struct {
	// Instructions is the length of the program. runc adds a short stub
	// of its own (ENOSYS handling) on top of it.
	Instructions int
	// Arches are the architectures the filter covers.
	Arches []string

	program []byte
}

// CompileError is a problem building the filter, at the profile value that
// caused it.
type CompileError struct {
	At  lint.Span
	Msg string
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("%d:%d: %s", e.At.Start.Line, e.At.Start.Col, e.Msg)
}

// Compile builds the filter with libseccomp the way runc does for the
// runtime chosen by opts (default containerd): rules repeating the default
// action are skipped, names libseccomp does not know are skipped, several
// comparisons of one argument become separate rules. It returns the first
// problem as a *CompileError.
func Compile(p *Profile, opts ...SpecOption) (CompileResult, error) {
	e := newEnv(p, Containerd)
	for _, o := range opts {
		o(&e)
	}
	res, errs := compile(p, e)
	if len(errs) > 0 {
		return res, errs[0]
	}
	return res, nil
}

func scmpAction(r ret) (libseccomp.ScmpAction, bool) {
	var a libseccomp.ScmpAction
	switch r.action {
	case ActKillThread:
		a = libseccomp.ActKillThread
	case ActKillProcess:
		a = libseccomp.ActKillProcess
	case ActTrap:
		a = libseccomp.ActTrap
	case ActErrno:
		return libseccomp.ActErrno.SetReturnCode(int16(r.errno)), true
	case ActTrace:
		return libseccomp.ActTrace.SetReturnCode(int16(r.errno)), true
	case ActAllow:
		a = libseccomp.ActAllow
	case ActLog:
		a = libseccomp.ActLog
	case ActNotify:
		a = libseccomp.ActNotify
	default:
		return libseccomp.ActInvalid, false
	}
	return a, true
}

var scmpOps = map[string]libseccomp.ScmpCompareOp{
	"SCMP_CMP_NE": libseccomp.CompareNotEqual, "SCMP_CMP_LT": libseccomp.CompareLess,
	"SCMP_CMP_LE": libseccomp.CompareLessOrEqual, "SCMP_CMP_EQ": libseccomp.CompareEqual,
	"SCMP_CMP_GE": libseccomp.CompareGreaterEqual, "SCMP_CMP_GT": libseccomp.CompareGreater,
	"SCMP_CMP_MASKED_EQ": libseccomp.CompareMaskedEqual,
}

func compile(p *Profile, e env) (res CompileResult, errs []*CompileError) {
	fail := func(sp lint.Span, format string, args ...any) {
		errs = append(errs, &CompileError{At: sp, Msg: fmt.Sprintf(format, args...)})
	}
	ps := &pass{p: p, rt: e.rt}
	def := ps.defaultRet()
	defAct, ok := scmpAction(def)
	if !ok || def.action == ActNotify {
		return res, nil // seccomp/schema and seccomp/notify-without-listener say why
	}
	// Docker and CRI-O refuse these combinations before libseccomp runs.
	if e.keeps("archMap") && len(p.Architectures.Items) > 0 && len(p.ArchMap) > 0 {
		fail(p.ArchMapField.Key, "%s refuses a profile with both architectures and archMap", e.rt)
	}
	if e.keeps("name") {
		for _, s := range p.Syscalls {
			if s.Name.Set && len(s.Names.Items) > 0 {
				fail(s.Name.Key, "%s refuses a rule with both name and names", e.rt)
			}
		}
	}
	spec := p.Spec(func(x *env) { *x = e })
	key := cacheKey(spec, e)
	if len(errs) == 0 {
		if r, ok := cachedCompile(key); ok {
			return r, nil
		}
	}
	f, err := libseccomp.NewFilter(defAct)
	if err != nil {
		fail(p.DefaultAction.At, "libseccomp cannot create a filter: %v", err)
		return res, errs
	}
	defer f.Release()

	native := nativeArch()
	res.Arches = []string{native}
	for _, a := range spec.Architectures {
		sa, ok := archNames[a]
		if !ok || a == native || a == "SCMP_ARCH_NATIVE" || !ArchSupported(a) {
			continue // seccomp/unknown-architecture reports these
		}
		if err := f.AddArch(sa); err != nil {
			msg := err.Error()
			if strings.Contains(msg, "out of domain") { // EDOM
				msg = "its byte order differs from the other architectures', and one filter cannot mix them"
			}
			fail(archSpan(p, a), "libseccomp cannot add architecture %s: %s", a, msg)
			continue
		}
		res.Arches = append(res.Arches, a)
	}
	if len(spec.Syscalls) > 32 {
		_ = f.SetOptimize(2) // as runc does; older libseccomp lacks it
	}
	for _, s := range p.Syscalls {
		if !s.Action.Set || !e.applies(s) {
			continue
		}
		r := ps.ruleRet(s)
		act, ok := scmpAction(r)
		if !ok || r == def {
			continue
		}
		var conds []libseccomp.ScmpCondition
		perArg := map[uint64]int{}
		bad := false
		for _, a := range s.Args {
			op, ok := scmpOps[a.Op.V]
			if !ok || a.Index.V > 5 {
				bad = true // seccomp/schema or seccomp/invalid-argument
				break
			}
			c, err := libseccomp.MakeCondition(uint(a.Index.V), op, a.Value.V, a.ValueTwo.V)
			if err != nil {
				fail(a.At, "libseccomp refuses the comparison: %v", err)
				bad = true
				break
			}
			perArg[a.Index.V]++
			conds = append(conds, c)
		}
		if bad {
			continue
		}
		split := false
		for _, n := range perArg {
			split = split || n > 1
		}
		for _, n := range ps.names(s) {
			nr, err := libseccomp.GetSyscallFromName(n.V)
			if err != nil {
				continue // runc skips names it cannot resolve: seccomp/unknown-syscall
			}
			switch {
			case len(conds) == 0:
				err = f.AddRule(nr, act)
			case split:
				for _, c := range conds {
					if err = f.AddRuleConditional(nr, act, []libseccomp.ScmpCondition{c}); err != nil {
						break
					}
				}
			default:
				err = f.AddRuleConditional(nr, act, conds)
			}
			if err != nil {
				fail(n.At, "libseccomp refuses the rule for %s (%v): the runtime fails to create the container", n.V, explainAddRule(err))
			}
		}
	}
	prog, err := bpfProgram(f)
	if err != nil {
		fail(p.At, "libseccomp cannot export the filter: %v", err)
		return res, errs
	}
	res.Instructions = len(prog) / 8
	res.program = prog
	if len(errs) == 0 {
		storeCompile(key, res)
	}
	return res, errs
}

// Building a large filter takes libseccomp a second or more, and the same
// profile is often compiled again (several runtimes, several files holding
// one profile): results without errors are kept, keyed by what libseccomp
// is given.
var (
	cacheMu      sync.Mutex
	compileCache = map[[32]byte]CompileResult{}
	cacheOff     bool // benchmarks measure the cold path
)

const maxCached = 64

func cacheKey(spec *LinuxSeccomp, e env) [32]byte {
	b, _ := json.Marshal(spec)
	return sha256.Sum256(append(b, []byte(nativeArch()+"\x00"+e.arch)...))
}

func cachedCompile(k [32]byte) (CompileResult, bool) {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	r, ok := compileCache[k]
	return r, ok && !cacheOff
}

func storeCompile(k [32]byte, r CompileResult) {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if len(compileCache) >= maxCached {
		clear(compileCache)
	}
	compileCache[k] = r
}

func explainAddRule(err error) string {
	s := err.Error()
	if strings.Contains(s, "file exists") {
		return "it conflicts with an earlier rule for the same syscall and arguments"
	}
	return s
}

func archSpan(p *Profile, arch string) lint.Span {
	for _, a := range p.Architectures.Items {
		if a.V == arch {
			return a.At
		}
	}
	for _, am := range p.ArchMap {
		for _, a := range am.SubArchitectures.Items {
			if a.V == arch {
				return a.At
			}
		}
		if am.Architecture.V == arch {
			return am.Architecture.At
		}
	}
	return p.At
}

// bpfProgram exports the filter through a pipe (libseccomp 2.5 writes BPF
// only to a file descriptor); each instruction is 8 bytes.
func bpfProgram(f *libseccomp.ScmpFilter) ([]byte, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	done := make(chan error, 1)
	go func() {
		err := f.ExportBPF(w)
		w.Close()
		done <- err
	}()
	b, rerr := io.ReadAll(io.LimitReader(r, 1<<24))
	if err := <-done; err != nil {
		return nil, err
	}
	if rerr != nil {
		return nil, rerr
	}
	if len(b)%8 != 0 {
		return nil, errors.New("BPF program is not a whole number of instructions")
	}
	return b, nil
}
