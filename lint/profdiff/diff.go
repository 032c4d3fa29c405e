// Package profdiff tells what a change to security profiles adds or
// removes — syscalls newly allowed (arguments taken into account), default
// action changes, architectures, AppArmor capabilities and file permissions
// — and how risky each item is. It compares two files, two directories, or
// the work tree with a git commit (`secprof diff`), on the models of
// lint/seccomp and lint/apparmor; it never parses profiles itself. The JSON
// form of a Report is a public contract (docs/diff.md).
package profdiff

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/apparmor"
	"github.com/secprof/secprof/lint/seccomp"
)

// Risk says how much an item weakens a profile. Tightening changes are
// Info: they cannot let an attack through, though they may break the
// workload.
type Risk int

const (
	Info Risk = iota
	Low
	Medium
	High
)

var riskNames = [...]string{"info", "low", "medium", "high"}

func (r Risk) String() string {
	if r < 0 || int(r) >= len(riskNames) {
		return fmt.Sprintf("risk(%d)", int(r))
	}
	return riskNames[r]
}

// ParseRisk accepts info, low, medium and high.
func ParseRisk(s string) (Risk, error) {
	for i, n := range riskNames {
		if strings.EqualFold(s, n) {
			return Risk(i), nil
		}
	}
	return Info, fmt.Errorf("unknown risk %q (want high, medium, low or info)", s)
}

func (r Risk) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

func (r *Risk) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := ParseRisk(s)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Item kinds, a public contract.
const (
	KindProfileAdded       = "profile-added"
	KindProfileRemoved     = "profile-removed"
	KindDefaultAction      = "default-action"
	KindDefaultErrno       = "default-errno"
	KindSyscallAllowed     = "syscall-allowed"      // permitted where it was not
	KindSyscallConditions  = "syscall-conditions"   // permitted under new argument conditions
	KindSyscallDenied      = "syscall-denied"       // no longer permitted
	KindSyscallAction      = "syscall-action"       // same verdict, other action or errno
	KindArchitectureAdded  = "architecture-added"   //
	KindArchitectureRemove = "architecture-removed" //
	KindFlagAdded          = "flag-added"
	KindFlagRemoved        = "flag-removed"
	KindListener           = "listener"
	KindBaseProfile        = "base-profile"
	KindCapabilityAdded    = "capability-added"
	KindCapabilityRemoved  = "capability-removed"
	KindFileAdded          = "file-permission-added"
	KindFileRemoved        = "file-permission-removed"
	KindRuleAdded          = "rule-added"
	KindRuleRemoved        = "rule-removed"
	KindMode               = "mode"
)

// Item is one thing a change adds or removes.
type Item struct {
	Kind string `json:"kind"`
	// Profile names the profile inside a file that holds several (a
	// SeccompProfile object, an AppArmor profile); "" for a lone profile.
	Profile string `json:"profile,omitempty"`
	// Subject is what changed: a syscall, a capability, a path, a profile.
	Subject string `json:"subject,omitempty"`
	Before  string `json:"before,omitempty"`
	After   string `json:"after,omitempty"`
	Risk    Risk   `json:"risk"`
	// Message says what the change means, in one sentence.
	Message string `json:"message"`
	// Line and Column locate the item in the new file (the old one for
	// removals), 0 when unknown.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
}

// File statuses.
const (
	StatusAdded    = "added"
	StatusRemoved  = "removed"
	StatusModified = "modified"
	StatusRenamed  = "renamed"
)

// FileDiff is what changed in one profile file.
type FileDiff struct {
	// Path is the new path (the old one when removed); OldPath is set when
	// it differs.
	Path    string `json:"path"`
	OldPath string `json:"oldPath,omitempty"`
	Status  string `json:"status"`
	// Type is seccomp or apparmor.
	Type  string `json:"type"`
	Items []Item `json:"items"`
	// Errors are reasons parts of the file could not be compared (it does
	// not parse on one side): the comparison is incomplete.
	Errors []string `json:"errors,omitempty"`
}

// Report is the outcome of a comparison.
type Report struct {
	// Base and Head name what was compared (paths or a commit).
	Base  string     `json:"base"`
	Head  string     `json:"head"`
	Files []FileDiff `json:"files"`
}

// Counts per risk.
type Counts struct {
	High   int `json:"high"`
	Medium int `json:"medium"`
	Low    int `json:"low"`
	Info   int `json:"info"`
	Errors int `json:"errors"`
}

// Counts adds up the items of r per risk.
func (r *Report) Counts() Counts {
	var c Counts
	for _, f := range r.Files {
		c.Errors += len(f.Errors)
		for _, it := range f.Items {
			switch it.Risk {
			case High:
				c.High++
			case Medium:
				c.Medium++
			case Low:
				c.Low++
			default:
				c.Info++
			}
		}
	}
	return c
}

// Max is the highest risk of any item, and false when there is none.
func (r *Report) Max() (Risk, bool) {
	max, any := Info, false
	for _, f := range r.Files {
		for _, it := range f.Items {
			if !any || it.Risk > max {
				max, any = it.Risk, true
			}
		}
	}
	return max, any
}

// Options tune a comparison.
type Options struct {
	// Runtime decides which seccomp fields count (lint.runtime).
	Runtime seccomp.Runtime
}

// MaxDiffFiles bounds how many files one comparison looks at.
const MaxDiffFiles = 10000

// Compare compares the old and new content of one file; a nil side means
// the file does not exist there. It returns false when neither side is a
// profile secprof knows.
func Compare(oldPath string, old []byte, newPath string, new []byte, opt Options) (FileDiff, bool) {
	var of, nf *lint.File
	if old != nil {
		of = lint.NewFile(oldPath, old)
	}
	if new != nil {
		nf = lint.NewFile(newPath, new)
	}
	fd := FileDiff{Path: newPath}
	switch {
	case of == nil && nf == nil:
		return fd, false
	case of == nil:
		fd.Status = StatusAdded
	case nf == nil:
		fd.Status, fd.Path = StatusRemoved, oldPath
	case oldPath != newPath:
		fd.Status, fd.OldPath = StatusRenamed, oldPath
	default:
		fd.Status = StatusModified
	}
	isSeccomp := func(f *lint.File) bool { return f != nil && !lint.IsBinary(f.Content) && seccomp.Detect(f) }
	isAppArmor := func(f *lint.File) bool { return f != nil && !lint.IsBinary(f.Content) && apparmor.Detect(f) }
	switch {
	case isSeccomp(of) || isSeccomp(nf):
		fd.Type = "seccomp"
		compareSeccomp(&fd, of, nf, opt)
	case isAppArmor(of) || isAppArmor(nf):
		fd.Type = "apparmor"
		compareAppArmor(&fd, of, nf)
	default:
		return fd, false
	}
	sortItems(fd.Items)
	return fd, true
}

// sortItems puts the riskiest first, then keeps the file's order.
func sortItems(items []Item) {
	sort.SliceStable(items, func(i, j int) bool {
		if items[i].Risk != items[j].Risk {
			return items[i].Risk > items[j].Risk
		}
		if li, lj := items[i].Line, items[j].Line; li != lj {
			// items without a position last
			return lj == 0 || (li != 0 && li < lj)
		}
		return items[i].Subject < items[j].Subject
	})
}
