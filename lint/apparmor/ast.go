// Package apparmor lints AppArmor policy: a parser for the policy language
// (AppArmor 3.x and 4.x) that keeps line:column on every node, include
// resolution confined to trusted directories, variable expansion, a model of
// what each profile allows once deny rules are taken into account, the risk
// rules, and apparmor_parser as a second opinion.
//
// The public API is small: Parse (syntax only), Load (includes, variables,
// model), ProfileNames, Policy.Permissions and New (the lint.Checker).
package apparmor

import (
	"strconv"
	"strings"
)

// Pos is a position in one source file: a byte offset plus the 1-based line
// and column, where columns count Unicode characters.
type Pos struct {
	Offset int
	Line   int
	Col    int
}

// IsValid reports whether p was set.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Span is the extent of a node; End is exclusive.
type Span struct {
	Start Pos
	End   Pos
}

// Node is anything in the syntax tree.
type Node interface {
	span() Span
}

func (s Span) span() Span { return s }

// SpanOf returns the extent of a node.
func SpanOf(n Node) Span { return n.span() }

// Word is one lexical item: a path, a name, a permission string, a value.
type Word struct {
	Span
	// Text is the value with surrounding quotes removed and \" and \\
	// unescaped in quoted words; unquoted words are kept as written.
	Text   string
	Quoted bool
}

// File is one parsed source file.
type File struct {
	// Name is the name the file was parsed under (a path as reported).
	Name string
	Src  []byte
	// Stmts are the top-level statements in source order.
	Stmts []Stmt
	// Comments are every `#` comment, in order; suppression comments are
	// found here.
	Comments []Comment
	// Errors are the syntax errors of this file alone; Warnings are
	// constructs the parser kept but cannot vouch for (unknown capability
	// names, unrecognized rules from newer AppArmor versions).
	Errors   []*Error
	Warnings []*Error
}

// Comment is a `#` comment; Text excludes the `#`.
type Comment struct {
	Span
	Text string
}

// Stmt is a top-level or profile-body statement.
type Stmt interface {
	Node
	stmt()
}

// Prefix holds the qualifiers that may precede a rule.
type Prefix struct {
	// Priority is the `priority=N` qualifier of AppArmor 4.1+, or nil.
	Priority *Word
	Audit    bool
	// Mode is "", "allow", "deny" or "prompt".
	Mode string
	// Owner is "", "owner" (also spelled "user") or "other".
	Owner string
}

// Deny reports whether the rule is a deny rule.
func (p Prefix) Deny() bool { return p.Mode == "deny" }

func (p Prefix) String() string {
	var parts []string
	if p.Priority != nil {
		parts = append(parts, "priority="+p.Priority.Text)
	}
	if p.Audit {
		parts = append(parts, "audit")
	}
	if p.Mode != "" {
		parts = append(parts, p.Mode)
	}
	if p.Owner != "" {
		parts = append(parts, p.Owner)
	}
	return strings.Join(parts, " ")
}

// Include is `include <x>`, `include "x"`, `include if exists <x>` or the
// deprecated `#include <x>`.
type Include struct {
	Span
	Target   string
	Angle    bool // <x>: searched in the include path
	IfExists bool
	Hash     bool // written as #include
}

// Abi is `abi <abi/3.0>,`.
type Abi struct {
	Span
	Target string
	Angle  bool
}

// Variable is `@{NAME} = values`, `@{NAME} += values` (and ?=, :=) or a
// boolean `$NAME = true`.
type Variable struct {
	Span
	Name   string
	Bool   bool
	Op     string
	Values []Word
}

// Alias is `alias /a/ -> /b/,`.
type Alias struct {
	Span
	From, To Word
}

// Profile is a profile, child profile or hat with its body.
type Profile struct {
	Span
	// Keyword is "profile", "hat", "^" or "" for a profile named by its
	// attachment path (`/usr/bin/foo {`).
	Keyword    string
	Name       Word
	Attachment *Word
	Conds      []Cond // xattrs=(...) and similar conditionals
	Flags      []Word
	Body       []Stmt

	// Filled by Load.
	Parent   *Profile   `json:"-"`
	Children []*Profile `json:"-"`
	// Entries are the rules that apply to this profile, from its body and
	// everything it includes, with block qualifiers merged in.
	Entries []Entry `json:"-"`
	// IncludeNames are the include targets reachable from the body, as
	// written (e.g. "abstractions/base").
	IncludeNames []string `json:"-"`

	file     *File   // where the profile is written
	pol      *Policy // the policy it belongs to (work budget)
	denies   []*Entry
	denyMemo map[denyKey]FilePerms

	classDenies   map[string][]*ClassRule
	capsMemo      map[string]bool
	capsAllDenied bool
}

// SourceFile is the file the profile is written in (set by Load).
func (p *Profile) SourceFile() *File { return p.file }

// IsHat reports whether p is a hat (`^name` or `hat name`).
func (p *Profile) IsHat() bool { return p.Keyword == "^" || p.Keyword == "hat" }

// FullName is the name the kernel knows: parent//child for nested ones.
func (p *Profile) FullName() string {
	if p.Parent != nil {
		return p.Parent.FullName() + "//" + p.Name.Text
	}
	return p.Name.Text
}

// HasFlag reports whether flags=(...) contains f.
func (p *Profile) HasFlag(f string) bool {
	for _, w := range p.Flags {
		if w.Text == f {
			return true
		}
	}
	return false
}

// Block is a qualifier applied to a brace-enclosed group: `deny { ... }`.
type Block struct {
	Span
	Prefix
	Body []Stmt
}

// If is a conditional block `if EXPR { } else { }`.
type If struct {
	Span
	Expr []Word
	Then []Stmt
	Else []Stmt
}

// FileRule is a file access rule in either order (`/path perms,` or
// `perms /path,`), or the bare `file,`.
type FileRule struct {
	Span
	Prefix
	Keyword    bool   // written with the `file` keyword
	Bare       bool   // `file,`: all file access
	ExecMode   string // "", "safe" or "unsafe"
	Path       Word
	PermsWord  Word
	Perms      FilePerms
	PermsFirst bool
	Subset     bool
	Target     *Word // -> target (exec transition or link target)
}

// LinkRule is `link [subset] /a -> /b,`.
type LinkRule struct {
	Span
	Prefix
	Subset   bool
	From, To Word
}

// CapabilityRule is `capability [names],`; no names means all of them.
type CapabilityRule struct {
	Span
	Prefix
	Caps []Word
}

// ClassRule covers the rule kinds that share one shape: network, unix,
// dbus, signal, ptrace, mount, remount, umount, pivot_root, userns, mqueue
// and io_uring. Perms are the access words (`(send, receive)`), Conds the
// key=value conditionals, Args the positional words (network domain and
// type, mount source, umount target), and Target what follows `->`.
type ClassRule struct {
	Span
	Prefix
	Class       string
	Perms       []Word
	Conds       []Cond
	Args        []Word
	Arrow       bool
	TargetConds []Cond
	Target      *Word
}

// Bare reports whether the rule has no perms, conditionals or arguments,
// e.g. `mount,` or `network,`: it allows everything of its class.
func (r *ClassRule) Bare() bool {
	return len(r.Perms) == 0 && len(r.Conds) == 0 && len(r.Args) == 0 && !r.Arrow
}

// Cond finds a conditional by key.
func (r *ClassRule) Cond(key string) *Cond {
	for i := range r.Conds {
		if r.Conds[i].Key.Text == key {
			return &r.Conds[i]
		}
	}
	return nil
}

// HasPerm reports whether the rule's perms include one of ps; rules without
// perms allow every perm of their class.
func (r *ClassRule) HasPerm(ps ...string) bool {
	if len(r.Perms) == 0 {
		return true
	}
	for _, w := range r.Perms {
		for _, p := range ps {
			if w.Text == p {
				return true
			}
		}
	}
	return false
}

// Cond is `key=value`, `key=(v1 v2)`, `key in (v1 v2)` or, for peer= and
// xattrs=, `key=(k1=v1 k2=v2)` held in Sub.
type Cond struct {
	Span
	Key    Word
	Op     string // "=", ":=" or "in"
	Values []Word
	List   bool
	Sub    []Cond
}

// ChangeProfileRule is `change_profile [safe|unsafe] [exec] [-> target],`.
type ChangeProfileRule struct {
	Span
	Prefix
	ExecMode string
	Exec     *Word
	Target   *Word
}

// RlimitRule is `set rlimit NAME <= VALUE,`.
type RlimitRule struct {
	Span
	Resource Word
	Value    Word
}

// AllRule is `all,` (AppArmor 4): every access of every class.
type AllRule struct {
	Span
	Prefix
}

// Unrecognized is a statement of plausible shape (`keyword ... ,`) that this
// parser does not know, kept so that newer syntax is not called an error;
// apparmor_parser decides.
type Unrecognized struct {
	Span
	Prefix
	Keyword Word
	Words   []Word
}

func (*Include) stmt()           {}
func (*Abi) stmt()               {}
func (*Variable) stmt()          {}
func (*Alias) stmt()             {}
func (*Profile) stmt()           {}
func (*Block) stmt()             {}
func (*If) stmt()                {}
func (*FileRule) stmt()          {}
func (*LinkRule) stmt()          {}
func (*CapabilityRule) stmt()    {}
func (*ClassRule) stmt()         {}
func (*ChangeProfileRule) stmt() {}
func (*RlimitRule) stmt()        {}
func (*AllRule) stmt()           {}
func (*Unrecognized) stmt()      {}

// isRule reports whether s may only appear inside a profile.
func isRule(s Stmt) bool {
	switch s.(type) {
	case *Include, *Abi, *Variable, *Alias, *Profile:
		return false
	}
	return true
}

// Error is a problem at a position in a file.
type Error struct {
	File string
	Span
	Msg string
}

func (e *Error) Error() string {
	return e.File + ":" + strconv.Itoa(e.Start.Line) + ":" + strconv.Itoa(e.Start.Col) + ": " + e.Msg
}

// ErrorList is the error returned when a file has syntax errors.
type ErrorList []*Error

func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return l[0].Error() + " (and " + strconv.Itoa(len(l)-1) + " more errors)"
}
