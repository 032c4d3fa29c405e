package spo

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/seccomp"
)

// Flat is a composed profile: what the operator installs for the first
// profile of a chain.
type Flat struct {
	// Profile has the first profile's own fields (defaultAction,
	// architectures, flags, listener, …) and the union of the chain's
	// syscalls. Its baseProfileName is cleared. Each syscall entry keeps
	// the positions of the file that wrote it: From tells which link.
	Profile *seccomp.Profile
	From    []int
	Chain   Chain
	// Loosened lists the rules of the first profile that a base profile
	// overrode with a less restrictive action.
	Loosened []Loosened
}

// Loosened is a syscall the profile itself restricts but the union allows
// because a base profile does.
type Loosened struct {
	Name     string
	Own      *seccomp.Syscall // the profile's entry
	OwnName  lint.Span        // where the name is written in it
	Base     *seccomp.Syscall // the base's entry that wins
	BaseLink int
}

// Flatten composes chain as the Security Profiles Operator does: only the
// syscalls are merged; defaultAction, architectures, flags and the rest
// come from the first profile. The union keeps, for every syscall without
// argument conditions, the least restrictive action any profile of the
// chain gives it (the nearest profile wins a tie); entries with argument
// conditions are kept as written, exact duplicates dropped.
func Flatten(chain Chain) *Flat { return flatten(chain, 0) }

// stride separates the line numbers of the links of a chain in the
// composed profile linted for provenance: link i's lines are shifted by
// i*stride. Files are at most lint.MaxFileSize bytes, so fewer lines.
const stride = 1 << 24

func flatten(chain Chain, stride int) *Flat {
	top := chain[0].Profile
	out := *top
	out.BaseProfileName = seccomp.Field[string]{}
	out.Syscalls = nil
	flat := &Flat{Profile: &out, Chain: chain}

	type entry struct {
		link int
		s    *seccomp.Syscall
	}
	var entries []entry
	for i, l := range chain {
		for _, s := range l.Profile.Syscalls {
			entries = append(entries, entry{i, s})
		}
	}
	// The winning unconditional entry of every name.
	winner := map[string]entry{}
	for _, e := range entries {
		if !unconditional(e.s) {
			continue
		}
		for _, n := range e.s.AllNames() {
			w, ok := winner[n.V]
			if !ok || restrictiveness(e.s.Action.V) < restrictiveness(w.s.Action.V) {
				winner[n.V] = e
			}
		}
	}
	seenCond := map[string]bool{}
	for _, e := range entries {
		var s *seccomp.Syscall
		if unconditional(e.s) {
			s = keepNames(e.s, func(n seccomp.Field[string]) bool {
				w := winner[n.V]
				if w.s != e.s {
					if e.link == 0 && w.link != 0 && restrictiveness(w.s.Action.V) < restrictiveness(e.s.Action.V) {
						flat.Loosened = append(flat.Loosened, Loosened{Name: n.V, Own: e.s, OwnName: n.At, Base: w.s, BaseLink: w.link})
					}
					return false
				}
				return true
			})
		} else {
			sig := signature(e.s)
			if seenCond[sig] {
				continue
			}
			seenCond[sig] = true
			s = e.s
		}
		if s == nil {
			continue
		}
		if stride > 0 && e.link > 0 {
			s = shifted(s, e.link*stride)
		}
		out.Syscalls = append(out.Syscalls, s)
		flat.From = append(flat.From, e.link)
	}
	out.SyscallsField = seccomp.Field[int]{V: len(out.Syscalls), Set: len(out.Syscalls) > 0 || top.SyscallsField.Set, Key: top.SyscallsField.Key, At: top.SyscallsField.At}
	return flat
}

// unconditional tells entries that apply to every call of their syscalls.
func unconditional(s *seccomp.Syscall) bool {
	return len(s.Args) == 0 && s.Includes.IsEmpty() && s.Excludes.IsEmpty()
}

// keepNames returns s with only the names keep accepts (s itself when all
// are kept, nil when none is).
func keepNames(s *seccomp.Syscall, keep func(seccomp.Field[string]) bool) *seccomp.Syscall {
	all := true
	var names []seccomp.Field[string]
	for _, n := range s.Names.Items {
		if keep(n) {
			names = append(names, n)
		} else {
			all = false
		}
	}
	single := s.Name.Set && keep(s.Name)
	if s.Name.Set && !single {
		all = false
	}
	if all {
		return s
	}
	if len(names) == 0 && !single {
		return nil
	}
	c := *s
	c.Names.Items = names
	if !single {
		c.Name = seccomp.Field[string]{}
	}
	return &c
}

// restrictiveness orders actions from the most permissive (0) on; the
// union keeps the lowest.
func restrictiveness(action string) int {
	switch action {
	case seccomp.ActAllow:
		return 0
	case seccomp.ActLog:
		return 1
	case seccomp.ActNotify, seccomp.ActTrace:
		return 2
	case seccomp.ActErrno:
		return 3
	case seccomp.ActTrap:
		return 4
	case seccomp.ActKill, seccomp.ActKillThread:
		return 5
	case seccomp.ActKillProcess:
		return 6
	}
	return 3
}

// signature identifies a conditional entry by everything that decides what
// it does.
func signature(s *seccomp.Syscall) string {
	var b strings.Builder
	var names []string
	for _, n := range s.AllNames() {
		names = append(names, n.V)
	}
	sort.Strings(names)
	fmt.Fprintf(&b, "%s|%s|%v/%d|%s", strings.Join(names, ","), s.Action.V, s.ErrnoRet.Set, s.ErrnoRet.V, s.Errno.V)
	for _, a := range s.Args {
		fmt.Fprintf(&b, "|%d:%s:%d:%d", a.Index.V, a.Op.V, a.Value.V, a.ValueTwo.V)
	}
	for _, f := range []*seccomp.Filter{s.Includes, s.Excludes} {
		if f.IsEmpty() {
			b.WriteString("|-")
			continue
		}
		fmt.Fprintf(&b, "|%v/%v/%s", f.Caps.Values(), f.Arches.Values(), f.MinKernel.V)
	}
	return b.String()
}

var posType = reflect.TypeOf(lint.Pos{})

// shifted deep-copies s with every position moved delta lines down. It
// walks the value by reflection so that fields the seccomp model gains
// later are shifted too.
func shifted(s *seccomp.Syscall, delta int) *seccomp.Syscall {
	v := reflect.New(reflect.TypeOf(*s))
	copyShift(v.Elem(), reflect.ValueOf(*s), delta, 0)
	return v.Interface().(*seccomp.Syscall)
}

func copyShift(dst, src reflect.Value, delta, depth int) {
	if depth > 32 {
		dst.Set(src)
		return
	}
	switch src.Kind() {
	case reflect.Struct:
		if src.Type() == posType {
			p := src.Interface().(lint.Pos)
			if p.Line > 0 {
				p.Line += delta
			}
			dst.Set(reflect.ValueOf(p))
			return
		}
		for i := 0; i < src.NumField(); i++ {
			if dst.Field(i).CanSet() {
				copyShift(dst.Field(i), src.Field(i), delta, depth+1)
			}
		}
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		n := reflect.New(src.Type().Elem())
		copyShift(n.Elem(), src.Elem(), delta, depth+1)
		dst.Set(n)
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		n := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := 0; i < src.Len(); i++ {
			copyShift(n.Index(i), src.Index(i), delta, depth+1)
		}
		dst.Set(n)
	default:
		dst.Set(src)
	}
}
