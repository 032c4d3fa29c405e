package apparmor

import (
	"sort"
	"strings"

	"github.com/secprof/secprof/lint"
)

// ProfileNames returns the names of the top-level profiles content defines,
// in source order: the names pods reference as localhost/NAME. content is
// profile text, or YAML holding AppArmorProfile objects (the names then
// come from their spec.policy). Includes are not followed. When the text
// has syntax errors the names found are returned with an ErrorList.
func ProfileNames(content []byte) ([]string, error) {
	f := lint.NewFile("", content)
	if isSPO(f) {
		objs, err := spoObjects(content)
		var names []string
		var errs ErrorList
		for _, o := range objs {
			if o.policy == nil {
				continue
			}
			n, perr := profileNames([]byte(o.policy.Value))
			names = append(names, n...)
			if el, ok := perr.(ErrorList); ok {
				errs = append(errs, el...)
			}
		}
		if err != nil {
			return names, err
		}
		if len(errs) > 0 {
			return names, errs
		}
		return names, nil
	}
	return profileNames(content)
}

func profileNames(src []byte) ([]string, error) {
	pf, err := Parse("", src)
	var names []string
	for _, s := range pf.Stmts {
		if p, ok := s.(*Profile); ok {
			names = append(names, p.Name.Text)
		}
	}
	return names, err
}

// ProfilePermissions is what one profile allows and denies once includes
// and variables are resolved, in a form meant for comparing two versions
// of a policy (secprof diff): every list is sorted and free of duplicates.
type ProfilePermissions struct {
	// Name is the profile name; parent//child for children and hats.
	Name  string
	Flags []string
	// Capabilities are the allowed capabilities; "*" means all of them
	// (bare capability, or all,). DeniedCapabilities likewise.
	Capabilities       []string
	DeniedCapabilities []string
	Files              []FileAccess
	// Rules are the other rules (network, mount, signal, ptrace, dbus,
	// unix, change_profile, rlimit, ...) in one canonical line each,
	// qualifiers first ("deny network raw").
	Rules []string
}

// FileAccess is one file rule.
type FileAccess struct {
	// Path is the pattern with variables expanded.
	Path string
	// Perms in canonical order: r w a l k m, then the exec transition.
	Perms  string
	Deny   bool
	Owner  bool
	Audit  bool
	Target string
	// Origin is FILE:LINE of the rule (an include's path for rules that
	// come from one).
	Origin string
}

// Permissions summarises every profile of the policy (children and hats
// included, the rules of an abstraction under the name "").
func (p *Policy) Permissions() []ProfilePermissions {
	var out []ProfilePermissions
	for _, prof := range p.AllProfiles() {
		pp := ProfilePermissions{Name: prof.FullName()}
		for _, f := range prof.Flags {
			pp.Flags = append(pp.Flags, f.Text)
		}
		caps, denied := map[string]bool{}, map[string]bool{}
		rules := map[string]bool{}
		files := map[FileAccess]bool{}
		for i := range prof.Entries {
			e := &prof.Entries[i]
			target := caps
			if e.Prefix.Deny() {
				target = denied
			}
			origin := e.File.Name + ":" + itoa(SpanOf(e.Rule).Start.Line)
			switch r := e.Rule.(type) {
			case *CapabilityRule:
				if len(r.Caps) == 0 {
					target["*"] = true
				}
				for _, c := range r.Caps {
					target[c.Text] = true
				}
			case *AllRule:
				target["*"] = true
				rules[qualifiers(e.Prefix)+"all"] = true
			case *FileRule, *LinkRule:
				pat, perms, _ := e.filePattern()
				fa := FileAccess{Path: pat, Perms: perms.String(), Deny: e.Prefix.Deny(), Owner: e.Prefix.Owner == "owner", Audit: e.Prefix.Audit, Target: e.Target, Origin: origin}
				files[fa] = true
			default:
				rules[qualifiers(e.Prefix)+canonical(e)] = true
			}
		}
		pp.Capabilities = sortedKeys(caps)
		pp.DeniedCapabilities = sortedKeys(denied)
		pp.Rules = sortedKeys(rules)
		for fa := range files {
			pp.Files = append(pp.Files, fa)
		}
		sort.Slice(pp.Files, func(i, j int) bool {
			a, b := pp.Files[i], pp.Files[j]
			if a.Path != b.Path {
				return a.Path < b.Path
			}
			if a.Deny != b.Deny {
				return !a.Deny
			}
			if a.Perms != b.Perms {
				return a.Perms < b.Perms
			}
			return a.Origin < b.Origin
		})
		out = append(out, pp)
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func qualifiers(p Prefix) string {
	q := Prefix{Audit: p.Audit, Mode: p.Mode, Owner: p.Owner, Priority: p.Priority}
	if q.Mode == "allow" {
		q.Mode = ""
	}
	if s := q.String(); s != "" {
		return s + " "
	}
	return ""
}

// canonical renders a rule on one line, perms sorted.
func canonical(e *Entry) string {
	switch r := e.Rule.(type) {
	case *ClassRule:
		parts := []string{r.Class}
		if len(r.Perms) > 0 {
			ps := make([]string, 0, len(r.Perms))
			for _, w := range r.Perms {
				ps = append(ps, w.Text)
			}
			sort.Strings(ps)
			parts = append(parts, "("+strings.Join(ps, ", ")+")")
		}
		parts = append(parts, condsText(r.Conds)...)
		for _, a := range r.Args {
			parts = append(parts, a.Text)
		}
		if r.Arrow {
			parts = append(parts, "->")
			parts = append(parts, condsText(r.TargetConds)...)
			if r.Target != nil {
				parts = append(parts, r.Target.Text)
			}
		}
		return strings.Join(parts, " ")
	case *ChangeProfileRule:
		parts := []string{"change_profile"}
		if r.ExecMode != "" {
			parts = append(parts, r.ExecMode)
		}
		if r.Exec != nil {
			parts = append(parts, e.Path)
		}
		if r.Target != nil {
			parts = append(parts, "->", e.Target)
		}
		return strings.Join(parts, " ")
	case *RlimitRule:
		return "set rlimit " + r.Resource.Text + " <= " + r.Value.Text
	case *Unrecognized:
		parts := []string{r.Keyword.Text}
		for _, w := range r.Words {
			parts = append(parts, w.Text)
		}
		return strings.Join(parts, " ")
	}
	return ""
}

func condsText(cs []Cond) []string {
	var out []string
	for _, c := range cs {
		var vals []string
		for _, v := range c.Values {
			vals = append(vals, v.Text)
		}
		for _, s := range c.Sub {
			vals = append(vals, strings.Join(condsText([]Cond{s}), " "))
		}
		op := c.Op
		if op == "" {
			out = append(out, c.Key.Text)
			continue
		}
		if op == "in" {
			op = " in "
		}
		if c.List || len(vals) != 1 {
			out = append(out, c.Key.Text+op+"("+strings.Join(vals, " ")+")")
		} else {
			out = append(out, c.Key.Text+op+vals[0])
		}
	}
	return out
}
