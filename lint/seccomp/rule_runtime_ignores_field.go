package seccomp

import (
	"fmt"
	"sort"
	"strings"

	"github.com/secprof/secprof/lint"
)

func init() {
	register(lint.Rule{ID: "seccomp/runtime-ignores-field", Severity: lint.Warning,
		Summary: "a field the target runtime drops (containerd: includes/excludes, archMap, name; CRI-O: minKernel; the SPO CRD: everything Docker-only): an error when the dropped condition guarded a dangerous syscall"},
		checkRuntimeIgnoresField)
}

func checkRuntimeIgnoresField(ps *pass) {
	p := ps.p
	e := ps.env()
	who := string(ps.rt) + " (lint.runtime)"
	how := "decodes the profile into the runtime-spec type and drops"
	switch {
	case e.spo:
		who, how = "the SeccompProfile CRD", "does not declare, so the API server prunes"
	case ps.rt == Docker:
		how = "ignores"
	case ps.rt == CRIO:
		how = "(containers-common) ignores"
	}
	if p.ArchMapField.Set && !e.keeps("archMap") {
		msg := "archMap: the filter covers the native architecture only"
		if len(p.Architectures.Items) > 0 {
			msg = "archMap: only architectures applies"
		}
		ps.add(ps.at(p.ArchMapField.Key, "%s %s %s", who, how, msg).
			WithFix("list the architectures in \"architectures\" instead"))
	}
	for _, fld := range []Field[string]{p.DefaultErrno} {
		if fld.Set && !e.keeps("defaultErrno") && !p.DefaultErrnoRet.Set {
			ps.add(ps.at(fld.Key, "%s %s defaultErrno: the default errno is EPERM, not %s", who, how, fld.V).
				WithFix("set defaultErrnoRet to the errno number"))
		}
	}
	if e.spo && p.DefaultErrnoRet.Set {
		ps.add(ps.at(p.DefaultErrnoRet.Key, "%s %s defaultErrnoRet: denied syscalls fail with EPERM", who, how))
	}
	for _, s := range p.Syscalls {
		if s.Name.Set && !e.keeps("name") {
			f := ps.at(s.Name.Key, "%s %s the singular \"name\": this rule does not match %s", who, how, s.Name.V)
			if Denies(s.Action.V) && dangerous[s.Name.V].sev != lint.SeverityUnset {
				f.Message += fmt.Sprintf(", so dangerous %s stays allowed", s.Name.V)
				f = f.WithSeverity(lint.Error)
			}
			ps.add(f.WithFix(`use "names": [%q]`, s.Name.V))
		}
		if s.Errno.Set && !e.keeps("errno") && !s.ErrnoRet.Set {
			ps.add(ps.at(s.Errno.Key, "%s %s errno: the rule returns EPERM, not %s", who, how, s.Errno.V).
				WithFix("use errnoRet with the errno number"))
		}
		if s.Comment.Set && e.spo {
			ps.add(ps.at(s.Comment.Key, "%s %s comment", who, how).WithSeverity(lint.Info))
		}
		for _, fl := range []struct {
			f    *Filter
			name string
		}{{s.Includes, "includes"}, {s.Excludes, "excludes"}} {
			if fl.f.IsEmpty() {
				continue
			}
			if !e.keeps(fl.name) {
				ps.add(droppedCondition(ps, s, fl.f, fl.name, who, how))
				continue
			}
			if fl.f.MinKernel.Set && !e.keeps("minKernel") {
				ps.add(ps.at(fl.f.MinKernel.Key, "%s %s minKernel: the rule applies on every kernel", who, how))
			}
		}
	}
}

// droppedCondition reports a rule whose includes/excludes is dropped, so
// that it applies to every container.
func droppedCondition(ps *pass, s *Syscall, f *Filter, name, who, how string) lint.Finding {
	var cond []string
	if len(f.Caps.Items) > 0 {
		cond = append(cond, "caps "+strings.Join(f.Caps.Values(), ", "))
	}
	if len(f.Arches.Items) > 0 {
		cond = append(cond, "arches "+strings.Join(f.Arches.Values(), ", "))
	}
	if f.MinKernel.Set {
		cond = append(cond, "minKernel "+f.MinKernel.V)
	}
	fi := ps.at(f.Key, "%s %s %s (%s): this %s rule applies to every container", who, how, name, strings.Join(cond, "; "), s.Action.V)
	if !Permits(s.Action.V) {
		return fi
	}
	var risky []string
	for _, n := range s.AllNames() {
		if d, ok := dangerous[n.V]; ok && d.sev == lint.Error && len(s.Args) == 0 {
			risky = append(risky, n.V)
		}
	}
	if len(risky) == 0 {
		return fi
	}
	sort.Strings(risky)
	fi.Message = fmt.Sprintf("%s %s %s (%s): this rule then allows %s to every container, not only to those the condition meant", who, how, name, strings.Join(cond, "; "), strings.Join(risky, ", "))
	if ps.p.File != nil && ps.p.Format == FormatSPO && ps.p.Name.Set {
		fi.Message = "SeccompProfile " + ps.p.Name.V + ": " + fi.Message
	}
	return fi.WithSeverity(lint.Error).
		WithFix("remove the rule (or set lint.runtime to the runtime that really loads this profile)")
}
