package profdiff

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/apparmor"
)

// The AppArmor comparison works on the rules each profile ends up with
// (lint/apparmor's Load: includes resolved, variables expanded, block
// qualifiers merged). It approximates where an exact answer needs the
// kernel's path matching: a deny rule counts against an allow rule only
// when both name the same path pattern.

// aaGrant is the file access allowed on one path pattern.
type aaGrant struct {
	perms apparmor.FilePerms
	at    lint.Pos
}

// aaPosture is what one AppArmor profile allows.
type aaPosture struct {
	mode    string
	modeAt  lint.Pos
	capsAll bool
	capsAt  lint.Pos // of the rule granting all
	caps    map[string]lint.Pos
	files   map[string]aaGrant // "owner path" → grant, deny rules on the same pattern removed
	rules   map[string]aaRule  // other allow rules, by canonical text
	denies  map[string]aaDeny  // deny rules, by canonical text
}

// aaDeny is a deny rule; removing one loosens the profile.
type aaDeny struct {
	at    lint.Pos
	path  string // file rules
	perms apparmor.FilePerms
	caps  []string // capability rules; nil with all set for every capability
	all   bool
}

type aaRule struct {
	class string
	bare  bool
	at    lint.Pos
}

var emptyAA = &aaPosture{mode: "enforce", caps: map[string]lint.Pos{}, files: map[string]aaGrant{}, rules: map[string]aaRule{}, denies: map[string]aaDeny{}}

// wholeFS spells every pattern that covers the whole file system alike,
// so `deny /** w,` counts against `file,`.
func wholeFS(path string) string {
	switch path {
	case "/{,**}", "/**", "/{**,}", "/{,**/}":
		return "/{,**}"
	}
	return path
}

// aaMode is the profile's mode from its flags.
func aaMode(p *apparmor.Profile) string {
	for _, m := range []string{"unconfined", "default_allow", "complain", "prompt", "kill"} {
		if p.HasFlag(m) {
			return m
		}
	}
	return "enforce"
}

func aaPos(e *apparmor.Entry, sp apparmor.Span) lint.Pos {
	if !e.Own() {
		return lint.Pos{}
	}
	return lint.Pos{Line: sp.Start.Line, Col: sp.Start.Col}
}

// ruleText is the rule as written, white space collapsed: the identity of
// rules compared as a whole.
func ruleText(e *apparmor.Entry) string {
	sp := apparmor.SpanOf(e.Rule)
	if e.File == nil || sp.Start.Offset < 0 || sp.End.Offset > len(e.File.Src) || sp.Start.Offset >= sp.End.Offset {
		return fmt.Sprintf("%T", e.Rule)
	}
	src := e.File.Src
	text := strings.Join(strings.Fields(string(src[sp.Start.Offset:sp.End.Offset])), " ")
	if q := e.Prefix.String(); q != "" && !strings.HasPrefix(text, q) {
		text = q + " " + text
	}
	return text
}

func aaPostureOf(p *apparmor.Profile, complain bool) *aaPosture {
	ps := &aaPosture{mode: aaMode(p), caps: map[string]lint.Pos{}, files: map[string]aaGrant{}, rules: map[string]aaRule{}, denies: map[string]aaDeny{}}
	if complain && ps.mode == "enforce" {
		ps.mode = "complain"
	}
	if len(p.Flags) > 0 {
		ps.modeAt = lint.Pos{Line: p.Flags[0].Start.Line, Col: p.Flags[0].Start.Col}
	}
	denyCapsAll, denyCaps := false, map[string]bool{}
	denyFiles := map[string]apparmor.FilePerms{}
	for i := range p.Entries {
		e := &p.Entries[i]
		if !e.Prefix.Deny() {
			continue
		}
		d := aaDeny{at: aaPos(e, apparmor.SpanOf(e.Rule))}
		switch r := e.Rule.(type) {
		case *apparmor.CapabilityRule:
			if len(r.Caps) == 0 {
				denyCapsAll, d.all = true, true
			}
			for _, c := range r.Caps {
				denyCaps[c.Text] = true
				d.caps = append(d.caps, c.Text)
			}
		case *apparmor.FileRule:
			path, perms := wholeFS(e.Path), r.Perms
			if r.Bare {
				path, perms = "/{,**}", apparmor.FilePerms{Read: true, Write: true, Append: true, Link: true, Lock: true, Mmap: true, Exec: "x"}
			}
			if perms.Exec != "" {
				perms.Exec = "x"
			}
			denyFiles[path] = denyFiles[path].Union(perms)
			d.path, d.perms = path, perms
		}
		ps.denies[ruleText(e)] = d
	}
	for i := range p.Entries {
		e := &p.Entries[i]
		if e.Prefix.Deny() {
			continue
		}
		at := aaPos(e, apparmor.SpanOf(e.Rule))
		switch r := e.Rule.(type) {
		case *apparmor.CapabilityRule:
			if denyCapsAll {
				continue
			}
			if len(r.Caps) == 0 {
				ps.capsAll, ps.capsAt = true, at
			}
			for _, c := range r.Caps {
				if !denyCaps[c.Text] {
					if _, ok := ps.caps[c.Text]; !ok {
						ps.caps[c.Text] = aaPos(e, c.Span)
					}
				}
			}
		case *apparmor.FileRule:
			path, perms := e.Path, r.Perms
			if r.Bare {
				path, perms = "/{,**}", apparmor.FilePerms{Read: true, Write: true, Append: true, Link: true, Lock: true, Mmap: true, Exec: "ix"}
			}
			ps.addFile(e.Prefix.Owner, path, perms, denyFiles[wholeFS(path)], at)
		case *apparmor.LinkRule:
			ps.addFile(e.Prefix.Owner, e.Path, apparmor.FilePerms{Link: true}, denyFiles[wholeFS(e.Path)], at)
		case *apparmor.AllRule:
			ps.rules["all,"] = aaRule{class: "all", bare: true, at: at}
			if !denyCapsAll {
				ps.capsAll, ps.capsAt = true, at
			}
			ps.addFile("", "/{,**}", apparmor.FilePerms{Read: true, Write: true, Append: true, Link: true, Lock: true, Mmap: true, Exec: "ix"}, denyFiles["/{,**}"], at)
		case *apparmor.ClassRule:
			ps.rules[ruleText(e)] = aaRule{class: r.Class, bare: r.Bare(), at: at}
		case *apparmor.ChangeProfileRule:
			ps.rules[ruleText(e)] = aaRule{class: "change_profile", at: at}
		case *apparmor.Unrecognized:
			ps.rules[ruleText(e)] = aaRule{class: r.Keyword.Text, at: at}
		}
	}
	return ps
}

func (ps *aaPosture) addFile(owner, path string, perms, denied apparmor.FilePerms, at lint.Pos) {
	path = wholeFS(path)
	perms = minusPerms(perms, denied)
	if perms == (apparmor.FilePerms{}) {
		return
	}
	key := strings.TrimSpace(owner + " " + path)
	g, ok := ps.files[key]
	if !ok {
		g.at = at
	}
	g.perms = g.perms.Union(perms)
	ps.files[key] = g
}

func minusPerms(p, d apparmor.FilePerms) apparmor.FilePerms {
	p.Read = p.Read && !d.Read
	p.Write = p.Write && !d.Write
	p.Append = p.Append && !d.Append && !d.Write // denying w denies a
	p.Link = p.Link && !d.Link
	p.Lock = p.Lock && !d.Lock
	p.Mmap = p.Mmap && !d.Mmap
	if d.Exec != "" {
		p.Exec = ""
	}
	return p
}

// Capabilities whose grant amounts to (or nearly to) root on the host.
var (
	highCaps   = map[string]bool{"sys_admin": true, "sys_module": true, "sys_rawio": true, "mac_admin": true, "mac_override": true, "dac_read_search": true, "sys_ptrace": true, "bpf": true}
	mediumCaps = map[string]bool{"perfmon": true, "net_admin": true, "sys_boot": true, "syslog": true, "sys_time": true, "audit_control": true, "dac_override": true, "setuid": true, "setgid": true, "setpcap": true, "setfcap": true, "net_raw": true, "chown": true, "fowner": true, "sys_chroot": true, "mknod": true}
)

// Path prefixes where write access reaches the host, credentials or
// kernel interfaces.
var sensitivePrefixes = []string{"/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/run", "/var/run", "/var/lib/kubelet", "/lib", "/usr", "/bin", "/sbin"}

func sensitivePath(p string) bool {
	if p == "/" || strings.HasPrefix(p, "/{") || strings.HasPrefix(p, "/*") || strings.HasPrefix(p, "/**") || strings.HasPrefix(p, "@{") {
		return true
	}
	for _, s := range sensitivePrefixes {
		if p == s || strings.HasPrefix(p, s+"/") || strings.HasPrefix(p, s+"{") || strings.HasPrefix(p, s+"*") {
			return true
		}
	}
	return false
}

func compareAppArmor(fd *FileDiff, of, nf *lint.File) {
	load := func(side string, f *lint.File) map[string]*aaPosture {
		if f == nil {
			return nil
		}
		out := map[string]*aaPosture{}
		docs, err := aaDocuments(f)
		if err != nil {
			fd.Errors = append(fd.Errors, fmt.Sprintf("%s %s: %v", side, f.Path, err))
			return nil
		}
		for _, d := range docs {
			pol := apparmor.Load(f.Path, d.policy)
			for _, pr := range pol.Problems {
				if pr.Kind == apparmor.ProblemSyntax && pr.Via == nil {
					fd.Errors = append(fd.Errors, fmt.Sprintf("%s %s:%d:%d: %s", side, f.Path, pr.Err.Start.Line, pr.Err.Start.Col, pr.Err.Msg))
					return nil
				}
			}
			for _, p := range pol.AllProfiles() {
				if p == pol.FragmentProfile {
					continue
				}
				name := p.FullName()
				if d.label != "" {
					name = d.label + ": " + name
				}
				ps := aaPostureOf(p, d.complain)
				if d.label != "" {
					ps.stripPositions() // positions in spec.policy are not the file's
				}
				out[name] = ps
			}
		}
		return out
	}
	olds, news := load("old", of), load("new", nf)
	if (of != nil && olds == nil) || (nf != nil && news == nil) {
		return
	}
	names := map[string]bool{}
	for n := range olds {
		names[n] = true
	}
	for n := range news {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		o, h := olds[n], news[n]
		switch {
		case o == nil:
			var tmp FileDiff
			diffAppArmor(&tmp, n, emptyAA, h)
			risk, msg := Info, fmt.Sprintf("new AppArmor profile %s (%s mode)", n, h.mode)
			if h.mode != "enforce" && h.mode != "kill" {
				risk = High
				msg = fmt.Sprintf("new AppArmor profile %s in %s mode: it enforces nothing", n, h.mode)
			}
			fd.Items = append(fd.Items, Item{Kind: KindProfileAdded, Profile: n, Subject: n, After: h.mode, Risk: risk, Message: msg})
			for _, it := range tmp.Items {
				if it.Risk >= Medium && it.Kind != KindMode {
					fd.Items = append(fd.Items, it)
				}
			}
		case h == nil:
			fd.Items = append(fd.Items, Item{Kind: KindProfileRemoved, Profile: n, Subject: n, Risk: Info,
				Message: fmt.Sprintf("AppArmor profile %s removed: pods that reference localhost/%s fail to start (CreateContainerError)", n, n)})
		default:
			diffAppArmor(fd, n, o, h)
		}
	}
}

func (ps *aaPosture) stripPositions() {
	ps.modeAt, ps.capsAt = lint.Pos{}, lint.Pos{}
	for k := range ps.caps {
		ps.caps[k] = lint.Pos{}
	}
	for k, g := range ps.files {
		g.at = lint.Pos{}
		ps.files[k] = g
	}
	for k, r := range ps.rules {
		r.at = lint.Pos{}
		ps.rules[k] = r
	}
	for k, d := range ps.denies {
		d.at = lint.Pos{}
		ps.denies[k] = d
	}
}

func diffAppArmor(fd *FileDiff, label string, b, h *aaPosture) {
	add := func(it Item, at lint.Pos) {
		it.Profile = label
		it.Line, it.Column = at.Line, at.Col
		fd.Items = append(fd.Items, it)
	}
	if b.mode != h.mode {
		it := Item{Kind: KindMode, Subject: "flags", Before: b.mode, After: h.mode, Risk: Info,
			Message: fmt.Sprintf("mode %s → %s", b.mode, h.mode)}
		if b.mode == "enforce" || b.mode == "kill" {
			switch h.mode {
			case "complain", "unconfined", "default_allow":
				it.Risk = High
				it.Message = fmt.Sprintf("mode %s → %s: the profile no longer blocks anything", b.mode, h.mode)
			case "prompt":
				it.Risk = Medium
				it.Message = fmt.Sprintf("mode %s → prompt: a user-space agent decides what the profile does not allow", b.mode)
			}
		}
		add(it, h.modeAt)
	}

	// Capabilities.
	if h.capsAll && !b.capsAll {
		add(Item{Kind: KindCapabilityAdded, Subject: "capability", After: "all", Risk: High,
			Message: "every capability is now allowed (bare capability rule)"}, h.capsAt)
	} else if !h.capsAll {
		if b.capsAll {
			add(Item{Kind: KindCapabilityRemoved, Subject: "capability", Before: "all", Risk: Info, Message: "no longer allows every capability"}, lint.Pos{})
		}
		for _, c := range sortedKeys(h.caps) {
			if _, ok := b.caps[c]; ok || b.capsAll {
				continue
			}
			r := Low
			switch {
			case highCaps[c]:
				r = High
			case mediumCaps[c]:
				r = Medium
			}
			add(Item{Kind: KindCapabilityAdded, Subject: c, After: "allow", Risk: r, Message: "capability " + c + " is now allowed"}, h.caps[c])
		}
	}
	if !b.capsAll {
		for _, c := range sortedKeys(b.caps) {
			if _, ok := h.caps[c]; !ok && !h.capsAll {
				add(Item{Kind: KindCapabilityRemoved, Subject: c, Before: "allow", Risk: Info, Message: "capability " + c + " is no longer allowed"}, lint.Pos{})
			}
		}
	}

	// File permissions.
	for _, k := range sortedGrantKeys(h.files) {
		hg := h.files[k]
		bg := b.files[k]
		added := minusPerms(hg.perms, bg.perms)
		if bg.perms.Exec == hg.perms.Exec {
			added.Exec = ""
		}
		if added == (apparmor.FilePerms{}) {
			continue
		}
		path := k
		if i := strings.LastIndexByte(k, ' '); i >= 0 && (strings.HasPrefix(k, "owner ") || strings.HasPrefix(k, "other ")) {
			path = k[i+1:]
		}
		r := Low
		var why []string
		switch {
		case added.Unconfined():
			r, why = High, append(why, "executes programs unconfined ("+added.Exec+")")
		case added.Exec != "":
			r, why = Medium, append(why, "executes programs ("+added.Exec+")")
		}
		if added.Writes() {
			if sensitivePath(path) {
				r, why = High, append(why, "writes where the host, credentials or kernel interfaces live")
			} else if r < Medium {
				r, why = Medium, append(why, "writes files")
			}
		}
		if added.Read && sensitivePath(path) && r < Medium {
			r = Medium
		}
		msg := fmt.Sprintf("%s: %s added", k, added.String())
		if bg.perms == (apparmor.FilePerms{}) {
			msg = fmt.Sprintf("%s is now allowed %s", k, hg.perms.String())
		}
		if len(why) > 0 {
			msg += " — " + strings.Join(why, "; ")
		}
		add(Item{Kind: KindFileAdded, Subject: k, Before: bg.perms.String(), After: hg.perms.String(), Risk: r, Message: msg}, hg.at)
	}
	for _, k := range sortedGrantKeys(b.files) {
		removed := minusPerms(b.files[k].perms, h.files[k].perms)
		if b.files[k].perms.Exec == h.files[k].perms.Exec {
			removed.Exec = ""
		}
		if removed == (apparmor.FilePerms{}) {
			continue
		}
		add(Item{Kind: KindFileRemoved, Subject: k, Before: b.files[k].perms.String(), After: h.files[k].perms.String(), Risk: Info,
			Message: fmt.Sprintf("%s: %s no longer allowed", k, removed.String())}, h.files[k].at)
	}

	// Other rules, as written.
	for _, t := range sortedRuleKeys(h.rules) {
		if _, ok := b.rules[t]; ok {
			continue
		}
		r := h.rules[t]
		risk := Low
		switch r.class {
		case "all":
			risk = High
		case "mount", "remount", "umount", "pivot_root", "userns":
			risk = Medium
			if r.bare {
				risk = High
			}
		case "ptrace":
			risk = Medium
			if r.bare || strings.Contains(t, "trace") && !strings.Contains(t, "read") {
				risk = High
			}
		case "change_profile":
			risk = Medium
			if strings.Contains(t, "unconfined") {
				risk = High
			}
		case "network":
			if r.bare || strings.Contains(t, "raw") || strings.Contains(t, "packet") {
				risk = Medium
			}
		case "dbus", "unix", "signal":
			if r.bare {
				risk = Medium
			}
		}
		add(Item{Kind: KindRuleAdded, Subject: t, After: t, Risk: risk, Message: "new rule: " + t}, r.at)
	}
	for _, t := range sortedRuleKeys(b.rules) {
		if _, ok := h.rules[t]; !ok {
			add(Item{Kind: KindRuleRemoved, Subject: t, Before: t, Risk: Info, Message: "rule removed: " + t}, lint.Pos{})
		}
	}
	// Deny rules removed loosen the profile: what they denied is allowed
	// again wherever an allow rule grants it.
	for _, t := range sortedDenyKeys(b.denies) {
		if _, ok := h.denies[t]; ok {
			continue
		}
		d := b.denies[t]
		risk, msg := Medium, "deny rule removed: "+t
		switch {
		case d.path != "" && (d.perms.Writes() || d.perms.Exec != "") && sensitivePath(d.path):
			risk, msg = High, fmt.Sprintf("deny rule removed: %s — %s under %s is no longer denied", t, d.perms.String(), d.path)
		case d.all:
			risk = High
		default:
			for _, c := range d.caps {
				if highCaps[c] {
					risk = High
				}
			}
		}
		add(Item{Kind: KindRuleRemoved, Subject: t, Before: t, Risk: risk, Message: msg}, lint.Pos{})
	}
	for _, t := range sortedDenyKeys(h.denies) {
		if _, ok := b.denies[t]; !ok {
			add(Item{Kind: KindRuleAdded, Subject: t, After: t, Risk: Info, Message: "new deny rule: " + t}, h.denies[t].at)
		}
	}
}

func sortedKeys(m map[string]lint.Pos) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedDenyKeys(m map[string]aaDeny) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedGrantKeys(m map[string]aaGrant) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedRuleKeys(m map[string]aaRule) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// aaDoc is one policy text: the file itself, or the spec.policy of a
// Security Profiles Operator AppArmorProfile object.
type aaDoc struct {
	label    string
	policy   []byte
	complain bool
}

const spoAppArmorKind = "AppArmorProfile"

func aaDocuments(f *lint.File) ([]aaDoc, error) {
	if !f.HasYAMLKind(spoAppArmorKind) {
		return []aaDoc{{policy: f.Content}}, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(f.Content))
	var out []aaDoc
	for i := 0; i < maxYAMLDocs; i++ {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		if scalar(get(root, "kind")) != spoAppArmorKind {
			continue
		}
		md, spec := get(root, "metadata"), get(root, "spec")
		policy := scalar(get(spec, "policy"))
		if policy == "" {
			continue
		}
		label := "AppArmorProfile " + scalar(get(md, "name"))
		if ns := scalar(get(md, "namespace")); ns != "" {
			label = "AppArmorProfile " + ns + "/" + scalar(get(md, "name"))
		}
		out = append(out, aaDoc{label: label, policy: []byte(policy), complain: scalar(get(spec, "complainMode")) == "true"})
	}
	return out, nil
}

// get returns the value of key in the mapping n, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// maxYAMLDocs bounds the documents read from one YAML file.
const maxYAMLDocs = 1000
