package apparmor

import (
	"regexp"

	"github.com/secprof/secprof/lint"
)

// Detection must claim AppArmor policy, broken or not, and leave alone the
// many other text files of a repository (shell, C, CSS, Markdown). Strong
// signals decide at once; otherwise the file must parse cleanly into
// statements AppArmor would recognise.

var strongSignals = []*regexp.Regexp{
	// profile NAME [ATTACHMENT] [flags=(...)] {
	regexp.MustCompile(`(?m)^[ \t]*profile[ \t]+\S+([ \t]+[/@"]\S*)?([ \t]+(flags=)?\([^)\n]*\))?[ \t]*\{[ \t]*(#.*)?\r?$`),
	// include <tunables/...> or <abstractions/...>, the idiom of every profile
	regexp.MustCompile(`(?m)^[ \t]*#?include[ \t]+(if[ \t]+exists[ \t]+)?<(tunables|abstractions|local)/[^>\n]*>[ \t]*\r?$`),
	// abi <abi/3.0>,
	regexp.MustCompile(`(?m)^[ \t]*abi[ \t]+<abi/[^>\n]*>[ \t]*,`),
}

// pathProfile is `/usr/bin/foo [flags=(...)] {`; it only counts together
// with a rule-like line, because `/... {` also opens a CSS comment block.
var (
	pathProfile = regexp.MustCompile(`(?m)^[ \t]*/\S*([ \t]+(flags=)?\([^)\n]*\))?[ \t]*\{[ \t]*\r?$`)
	ruleLine    = regexp.MustCompile(`(?m)^[ \t]*((audit|deny|owner)[ \t]+)*(capability|network|(/|@\{)\S*[ \t]+[rwaklmixpucPUC]+)[^\n]*,[ \t]*(#.*)?\r?$`)
)

// Detect reports whether f holds AppArmor policy: a profile, an
// abstraction or tunables file, or a YAML file with an AppArmorProfile
// (Security Profiles Operator) object.
func Detect(f *lint.File) bool {
	if isSPO(f) {
		return true
	}
	if f.LooksLikeJSON() || len(f.YAMLKinds()) > 0 || notPolicy.Match(f.Content) {
		return false
	}
	strong := pathProfile.Match(f.Content) && ruleLine.Match(f.Content)
	for _, re := range strongSignals {
		strong = strong || re.Match(f.Content)
	}
	if strong {
		return mostlyPolicy(f.Content)
	}
	return looksLikePolicy(f.Content)
}

// notPolicy matches what documents that quote policy have and policy never
// has: a shebang (a script with a here-document) or Markdown fences.
var notPolicy = regexp.MustCompile("(?m)\\A#!|^[ \t]*(```|~~~)")

// mostlyPolicy rejects text where a profile is quoted amid prose: many
// syntax errors or unrecognized statements for few statements. A broken
// profile has an error or two.
func mostlyPolicy(content []byte) bool {
	pf := parse("", content)
	bad := len(pf.Errors)
	for _, s := range pf.Stmts {
		if _, ok := s.(*Unrecognized); ok {
			bad++
		}
	}
	return bad <= 3 || bad*2 <= len(pf.Stmts)
}

// looksLikePolicy parses content and accepts it when it parses without
// error or unrecognized statements and holds a profile, a rule or a
// variable definition.
func looksLikePolicy(content []byte) bool {
	if len(content) > lint.MaxFileSize {
		return false
	}
	pf := parse("", content)
	if len(pf.Errors) > 0 || len(pf.Stmts) == 0 {
		return false
	}
	substance := false
	for _, s := range pf.Stmts {
		switch s.(type) {
		case *Unrecognized, *If, *Block:
			return false
		case *Profile, *FileRule, *CapabilityRule, *ClassRule, *Variable, *LinkRule, *ChangeProfileRule:
			substance = true
		}
	}
	return substance
}
