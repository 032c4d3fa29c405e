package apparmor

// What a profile allows once deny rules are taken into account. The model
// over-approximates: both branches of a conditional count, and a rule
// granted to the owner of a file counts as granted.

// wholeFS is the pattern `file,` and `all,` grant file access on.
const wholeFS = "/{,**}"

// filePattern returns the path pattern and perms a file-granting entry
// covers, or ok=false for entries that grant no file access.
func (e *Entry) filePattern() (pat string, perms FilePerms, ok bool) {
	switch r := e.Rule.(type) {
	case *FileRule:
		if r.Bare {
			return wholeFS, allFilePerms, true
		}
		return e.Path, r.Perms, true
	case *LinkRule:
		return e.Path, FilePerms{Link: true}, true
	case *AllRule:
		return wholeFS, allFilePerms, true
	}
	return "", FilePerms{}, false
}

// maxMatchWork bounds the pattern matches the risk rules may do for one
// policy: a hostile file with many thousands of rules must not take hours.
const maxMatchWork = 2_000_000

// match reports whether pattern pat matches path, counting the work
// against the policy's budget; once it is spent every match fails and the
// policy is marked Truncated.
func (prof *Profile) match(pat, path string) bool {
	if prof.spent() {
		return false
	}
	return globMatch(pat, path)
}

// spent charges one unit of work and reports whether the budget is gone.
func (prof *Profile) spent() bool {
	pol := prof.pol
	if pol == nil {
		return false
	}
	if pol.work >= maxMatchWork {
		pol.Truncated = true
		return true
	}
	pol.work++
	return false
}

type denyKey struct{ path, owner string }

// deniedFile returns the file perms deny rules of prof remove from path
// for an allow rule with the given owner qualifier: a deny rule limited
// to the owner does not cover an allow rule that is not.
func (prof *Profile) deniedFile(path, allowOwner string) FilePerms {
	k := denyKey{path, allowOwner}
	if d, ok := prof.denyMemo[k]; ok {
		return d
	}
	if prof.denies == nil {
		prof.denies = []*Entry{}
		for i := range prof.Entries {
			if e := &prof.Entries[i]; e.Prefix.Deny() {
				if _, _, ok := e.filePattern(); ok {
					prof.denies = append(prof.denies, e)
				}
			}
		}
	}
	var d FilePerms
	for _, e := range prof.denies {
		if prof.spent() {
			return d
		}
		if e.Prefix.Owner != "" && e.Prefix.Owner != allowOwner {
			continue
		}
		pat, perms, _ := e.filePattern()
		if !prof.match(pat, path) {
			continue
		}
		d = d.Union(perms)
		if perms.Exec != "" {
			d.Exec = "x"
		}
	}
	if prof.denyMemo == nil {
		prof.denyMemo = map[denyKey]FilePerms{}
	}
	if len(prof.denyMemo) < 4096 {
		prof.denyMemo[k] = d
	}
	return d
}

// writableAfterDeny reports whether an allow rule with perms p (which
// matches path) still allows writing path once prof's deny rules apply.
// Denying w also denies append: w implies a.
func (prof *Profile) writableAfterDeny(p FilePerms, path, owner string) bool {
	if !p.Writes() {
		return false
	}
	d := prof.deniedFile(path, owner)
	if d.Write {
		return false
	}
	if p.Write {
		return true
	}
	return !d.Append
}

// readableAfterDeny is the same for reading.
func (prof *Profile) readableAfterDeny(p FilePerms, path, owner string) bool {
	return p.Read && !prof.deniedFile(path, owner).Read
}

// capsDenied returns what the profile's deny capability rules remove: all
// capabilities (bare `deny capability,`) or a set of names.
func (prof *Profile) capsDenied() (all bool, names map[string]bool) {
	if prof.capsMemo != nil {
		return prof.capsAllDenied, prof.capsMemo
	}
	defer func() { prof.capsAllDenied, prof.capsMemo = all, names }()
	names = map[string]bool{}
	for i := range prof.Entries {
		e := &prof.Entries[i]
		if !e.Prefix.Deny() {
			continue
		}
		if r, ok := e.Rule.(*CapabilityRule); ok {
			if len(r.Caps) == 0 {
				all = true
			}
			for _, c := range r.Caps {
				names[c.Text] = true
			}
		}
	}
	return all, names
}

// classDenied reports whether a deny rule of class covers what match
// accepts (match sees each deny rule of the class).
func (prof *Profile) classDenied(class string, match func(*ClassRule) bool) bool {
	if prof.classDenies == nil {
		prof.classDenies = map[string][]*ClassRule{}
		for i := range prof.Entries {
			e := &prof.Entries[i]
			if r, ok := e.Rule.(*ClassRule); ok && e.Prefix.Deny() {
				prof.classDenies[r.Class] = append(prof.classDenies[r.Class], r)
			}
		}
	}
	for _, r := range prof.classDenies[class] {
		if prof.spent() {
			return false
		}
		if match(r) {
			return true
		}
	}
	return false
}
