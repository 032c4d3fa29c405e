// Package seccomp parses seccomp profiles — OCI runtime-spec / Docker /
// containers-common JSON and Security Profiles Operator SeccompProfile
// YAML — into a model that remembers the position of every field, and lints
// them. New returns the lint.Checker; ParseFile and ParseBytes give other
// packages the model; (*Profile).Spec converts it to the runtime-spec form a
// runtime would hand to libseccomp.
package seccomp

import (
	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/jsonpos"
)

// Format tells which kind of document a profile came from.
type Format int

const (
	// FormatJSON is an OCI runtime-spec / Docker / containers-common profile.
	FormatJSON Format = iota
	// FormatSPO is the spec of a Security Profiles Operator SeccompProfile.
	FormatSPO
)

func (f Format) String() string {
	if f == FormatSPO {
		return "SeccompProfile"
	}
	return "json"
}

// Field is one scalar of a profile together with where it was written.
// Set is false when the field is absent or has the wrong type (the schema
// rule reports wrong types).
type Field[T any] struct {
	V   T
	Set bool
	Key lint.Span // the key, e.g. "defaultAction"
	At  lint.Span // the value
}

// StringList is a list of strings such as architectures or names.
type StringList struct {
	Items []Field[string]
	Set   bool
	Key   lint.Span
	At    lint.Span
}

// Values returns the strings of the list.
func (l StringList) Values() []string {
	out := make([]string, len(l.Items))
	for i, it := range l.Items {
		out[i] = it.V
	}
	return out
}

// Profile is one seccomp profile. For FormatSPO the seccomp fields come
// from the object's spec.
type Profile struct {
	File   *lint.File
	Format Format
	// Document is the 0-based index of the YAML document (0 for JSON).
	Document int
	// At spans the profile object: the JSON object, or the SPO spec.
	At lint.Span
	// Node is the position tree of the profile object (the SPO spec for
	// SeccompProfile objects), for rules that need the raw keys.
	Node *jsonpos.Node

	// SPO only.
	APIVersion      Field[string]
	Name            Field[string] // metadata.name
	Namespace       Field[string] // metadata.namespace
	BaseProfileName Field[string]
	Disabled        Field[bool]

	DefaultAction   Field[string]
	DefaultErrnoRet Field[uint64]
	// DefaultErrno is containers-common's symbolic form ("ENOSYS").
	DefaultErrno     Field[string]
	Architectures    StringList
	ArchMap          []*ArchMap
	ArchMapField     Field[int] // V is the number of entries; Key/At locate "archMap"
	Flags            StringList
	ListenerPath     Field[string]
	ListenerMetadata Field[string]
	Syscalls         []*Syscall
	SyscallsField    Field[int] // V is the number of entries
}

// ArchMap is one entry of Docker's archMap: the architecture and the
// sub-architectures that are added when it is the native one.
type ArchMap struct {
	At               lint.Span
	Architecture     Field[string]
	SubArchitectures StringList
}

// Syscall is one entry of syscalls[].
type Syscall struct {
	Index int // position in syscalls[]
	At    lint.Span
	Names StringList
	// Name is Docker's deprecated singular form.
	Name     Field[string]
	Action   Field[string]
	ErrnoRet Field[uint64]
	// Errno is containers-common's symbolic form ("EPERM").
	Errno     Field[string]
	Args      []*Arg
	ArgsField Field[int]
	Comment   Field[string]
	Includes  *Filter // nil when absent
	Excludes  *Filter
}

// AllNames returns names[] and, when set, Docker's singular name.
func (s *Syscall) AllNames() []Field[string] {
	if !s.Name.Set {
		return s.Names.Items
	}
	out := make([]Field[string], 0, len(s.Names.Items)+1)
	out = append(out, s.Name)
	return append(out, s.Names.Items...)
}

// Arg is one argument comparison.
type Arg struct {
	At       lint.Span
	Index    Field[uint64]
	Value    Field[uint64]
	ValueTwo Field[uint64]
	Op       Field[string]
}

// Filter is Docker's includes/excludes condition.
type Filter struct {
	Key, At   lint.Span
	Caps      StringList
	Arches    StringList
	MinKernel Field[string]
}

// IsEmpty reports whether the filter constrains nothing.
func (f *Filter) IsEmpty() bool {
	return f == nil || (len(f.Caps.Items) == 0 && len(f.Arches.Items) == 0 && !f.MinKernel.Set)
}

// Actions, as written in profiles.
const (
	ActKill        = "SCMP_ACT_KILL"
	ActKillProcess = "SCMP_ACT_KILL_PROCESS"
	ActKillThread  = "SCMP_ACT_KILL_THREAD"
	ActTrap        = "SCMP_ACT_TRAP"
	ActErrno       = "SCMP_ACT_ERRNO"
	ActTrace       = "SCMP_ACT_TRACE"
	ActAllow       = "SCMP_ACT_ALLOW"
	ActLog         = "SCMP_ACT_LOG"
	ActNotify      = "SCMP_ACT_NOTIFY"
)

// Denies reports whether action stops the syscall from running.
func Denies(action string) bool {
	switch action {
	case ActKill, ActKillProcess, ActKillThread, ActTrap, ActErrno:
		return true
	}
	return false
}

// Permits reports whether action lets the syscall run (ALLOW and LOG; TRACE
// and NOTIFY hand the decision to another process).
func Permits(action string) bool { return action == ActAllow || action == ActLog }

func span(n *jsonpos.Node) lint.Span {
	if n == nil {
		return lint.Span{}
	}
	return lint.Span{Start: lpos(n.Start), End: lpos(n.End)}
}

func keySpan(f *jsonpos.Field) lint.Span {
	return lint.Span{Start: lpos(f.KeyStart), End: lpos(f.KeyEnd)}
}

func lpos(p jsonpos.Pos) lint.Pos { return lint.Pos{Line: p.Line, Col: p.Col} }

// build fills the seccomp fields of p from the profile object n. Values of
// the wrong type are left unset: the schema rule reports them.
func (p *Profile) build(n *jsonpos.Node) {
	p.Node = n
	p.At = span(n)
	if n == nil || n.Kind != jsonpos.Object {
		return
	}
	p.DefaultAction = str(n, "defaultAction")
	p.DefaultErrnoRet = num(n, "defaultErrnoRet")
	p.DefaultErrno = str(n, "defaultErrno")
	p.Architectures = strList(n, "architectures")
	p.Flags = strList(n, "flags")
	p.ListenerPath = str(n, "listenerPath")
	p.ListenerMetadata = str(n, "listenerMetadata")
	p.BaseProfileName = str(n, "baseProfileName")
	if f := n.Get("disabled"); f != nil && f.Value.Kind == jsonpos.Bool {
		p.Disabled = Field[bool]{V: f.Value.Bool, Set: true, Key: keySpan(f), At: span(f.Value)}
	}
	if f := n.Get("archMap"); f != nil && f.Value.Kind == jsonpos.Array {
		p.ArchMapField = Field[int]{V: len(f.Value.Elems), Set: true, Key: keySpan(f), At: span(f.Value)}
		for _, e := range f.Value.Elems {
			if e.Kind != jsonpos.Object {
				continue
			}
			p.ArchMap = append(p.ArchMap, &ArchMap{
				At:               span(e),
				Architecture:     str(e, "architecture"),
				SubArchitectures: strList(e, "subArchitectures"),
			})
		}
	}
	if f := n.Get("syscalls"); f != nil && f.Value.Kind == jsonpos.Array {
		p.SyscallsField = Field[int]{V: len(f.Value.Elems), Set: true, Key: keySpan(f), At: span(f.Value)}
		for i, e := range f.Value.Elems {
			if e.Kind != jsonpos.Object {
				continue
			}
			p.Syscalls = append(p.Syscalls, buildSyscall(i, e))
		}
	}
}

func buildSyscall(i int, n *jsonpos.Node) *Syscall {
	s := &Syscall{
		Index:    i,
		At:       span(n),
		Names:    strList(n, "names"),
		Name:     str(n, "name"),
		Action:   str(n, "action"),
		ErrnoRet: num(n, "errnoRet"),
		Errno:    str(n, "errno"),
		Comment:  str(n, "comment"),
		Includes: filter(n, "includes"),
		Excludes: filter(n, "excludes"),
	}
	if f := n.Get("args"); f != nil && f.Value.Kind == jsonpos.Array {
		s.ArgsField = Field[int]{V: len(f.Value.Elems), Set: true, Key: keySpan(f), At: span(f.Value)}
		for _, e := range f.Value.Elems {
			if e.Kind != jsonpos.Object {
				continue
			}
			s.Args = append(s.Args, &Arg{
				At:       span(e),
				Index:    num(e, "index"),
				Value:    num(e, "value"),
				ValueTwo: num(e, "valueTwo"),
				Op:       str(e, "op"),
			})
		}
	}
	return s
}

func filter(n *jsonpos.Node, key string) *Filter {
	f := n.Get(key)
	if f == nil || f.Value.Kind != jsonpos.Object {
		return nil
	}
	return &Filter{
		Key:       keySpan(f),
		At:        span(f.Value),
		Caps:      strList(f.Value, "caps"),
		Arches:    strList(f.Value, "arches"),
		MinKernel: str(f.Value, "minKernel"),
	}
}

func str(n *jsonpos.Node, key string) Field[string] {
	f := n.Get(key)
	if f == nil || f.Value.Kind != jsonpos.String {
		return Field[string]{}
	}
	return Field[string]{V: f.Value.Str, Set: true, Key: keySpan(f), At: span(f.Value)}
}

// num reads a non-negative integer; SPO also accepts it as a string of
// digits ("errnoRet": "38"), as its CRD declares the field a string.
func num(n *jsonpos.Node, key string) Field[uint64] {
	f := n.Get(key)
	if f == nil {
		return Field[uint64]{}
	}
	v, ok := f.Value.Uint64()
	if !ok && f.Value.Kind == jsonpos.String {
		v, ok = (&jsonpos.Node{Kind: jsonpos.Number, Str: f.Value.Str}).Uint64()
	}
	if !ok {
		return Field[uint64]{}
	}
	return Field[uint64]{V: v, Set: true, Key: keySpan(f), At: span(f.Value)}
}

func strList(n *jsonpos.Node, key string) StringList {
	f := n.Get(key)
	if f == nil || (f.Value.Kind != jsonpos.Array && f.Value.Kind != jsonpos.Null) {
		return StringList{}
	}
	l := StringList{Set: true, Key: keySpan(f), At: span(f.Value)}
	for _, e := range f.Value.Elems {
		if e.Kind == jsonpos.String {
			l.Items = append(l.Items, Field[string]{V: e.Str, Set: true, At: span(e)})
		}
	}
	return l
}
