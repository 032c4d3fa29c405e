package apparmor

import (
	"errors"
	"regexp"
	"strings"
	"sync"
)

// maxPatternLen bounds a pattern after variable expansion; the regexp built
// from it stays well inside what regexp.Compile accepts.
const maxPatternLen = 64 << 10

// globToRegexp translates an AppArmor path pattern (AARE) into an anchored
// Go regular expression: `**` crosses '/', `*` and `?` do not, `[...]` is a
// character class, `{a,b}` an alternation (nestable), `\x` a literal x.
func globToRegexp(pat string) (string, error) {
	if len(pat) > maxPatternLen {
		return "", errors.New("pattern too long")
	}
	var b strings.Builder
	b.Grow(len(pat) + 8)
	b.WriteString(`^`)
	depth := 0
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch c {
		case '\\':
			if i+1 < len(pat) {
				i++
				b.WriteString(regexp.QuoteMeta(pat[i : i+1]))
			}
		case '*':
			if i+1 < len(pat) && pat[i+1] == '*' {
				for i+1 < len(pat) && pat[i+1] == '*' {
					i++
				}
				b.WriteString(`.*`)
			} else {
				b.WriteString(`[^/]*`)
			}
		case '?':
			b.WriteString(`[^/]`)
		case '[':
			j := i + 1
			if j < len(pat) && (pat[j] == '^' || pat[j] == '!') {
				j++
			}
			if j < len(pat) && pat[j] == ']' {
				j++
			}
			for j < len(pat) && pat[j] != ']' {
				if pat[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(pat) {
				return "", errors.New("unclosed character class '['")
			}
			b.WriteByte('[')
			k := i + 1
			if pat[k] == '^' || pat[k] == '!' {
				b.WriteByte('^')
				k++
			}
			for ; k < j; k++ {
				ch := pat[k]
				switch {
				case ch == '\\' && k+1 < j:
					k++
					b.WriteString(regexp.QuoteMeta(pat[k : k+1]))
				case ch == '-' && k > i+1 && k+1 < j:
					b.WriteByte('-')
				case ch == '[' || ch == ']' || ch == '\\' || ch == '^' || ch == '-':
					b.WriteByte('\\')
					b.WriteByte(ch)
				default:
					b.WriteByte(ch)
				}
			}
			b.WriteByte(']')
			i = j
		case '{':
			depth++
			if depth > maxAltNesting {
				return "", errors.New("alternations nested too deep")
			}
			b.WriteString(`(?:`)
		case '}':
			if depth == 0 {
				return "", errors.New("unbalanced '}'")
			}
			depth--
			b.WriteByte(')')
		case ',':
			if depth > 0 {
				b.WriteByte('|')
			} else {
				b.WriteByte(',')
			}
		default:
			b.WriteString(regexp.QuoteMeta(pat[i : i+1]))
		}
	}
	if depth != 0 {
		return "", errors.New("unclosed alternation '{'")
	}
	b.WriteString(`$`)
	return b.String(), nil
}

// globCache memoises compiled patterns: rules test the same patterns
// against many probe paths, and abstractions are shared by profiles.
var globCache sync.Map // string -> *regexp.Regexp (nil when invalid)

const globCacheMax = 1 << 14

var globCacheN int64
var globCacheMu sync.Mutex

func compileGlob(pat string) *regexp.Regexp {
	if v, ok := globCache.Load(pat); ok {
		re, _ := v.(*regexp.Regexp)
		return re
	}
	var re *regexp.Regexp
	if src, err := patternRegexp(pat); err == nil {
		re, _ = regexp.Compile(src)
	}
	globCacheMu.Lock()
	if globCacheN < globCacheMax && len(pat) <= 4096 {
		globCacheN++
		globCache.Store(pat, re)
	}
	globCacheMu.Unlock()
	return re
}

// globMatch reports whether the AppArmor pattern pat matches path.
func globMatch(pat, path string) bool {
	re := compileGlob(pat)
	return re != nil && re.MatchString(path)
}

// globError returns why pat is not a valid pattern, or nil: unbalanced
// braces or an unclosed character class, which apparmor_parser rejects.
func globError(pat string) error {
	depth := 0
	for i := 0; i < len(pat); i++ {
		switch pat[i] {
		case '\\':
			i++
		case '{':
			depth++
			if depth > maxAltNesting {
				return errors.New("alternations nested too deep")
			}
		case '}':
			if depth == 0 {
				return errors.New("unbalanced '}'")
			}
			depth--
		case '[':
			j := i + 1
			if j < len(pat) && (pat[j] == '^' || pat[j] == '!') {
				j++
			}
			if j < len(pat) && pat[j] == ']' {
				j++
			}
			for j < len(pat) && pat[j] != ']' {
				if pat[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(pat) {
				return errors.New("unclosed character class '['")
			}
			i = j
		}
	}
	if depth != 0 {
		return errors.New("unclosed alternation '{'")
	}
	return nil
}

// maxAlternatives bounds how many plain patterns one pattern expands to
// before patternRegexp falls back to regexp alternation.
const maxAlternatives = 256

// maxAltNesting bounds {} nesting in a pattern.
const maxAltNesting = 64

// patternRegexp translates a pattern after expanding its alternations, so
// that the doubled slashes variables leave (@{HOME}/ with HOME=/home/*/)
// collapse as apparmor_parser collapses them.
func patternRegexp(pat string) (string, error) {
	if err := globError(pat); err != nil {
		return "", err
	}
	alts, ok := expandAlternations(pat, maxAlternatives)
	if !ok {
		return globToRegexp(collapseSlashes(pat))
	}
	var b strings.Builder
	b.WriteString(`^(?:`)
	for i, a := range alts {
		re, err := globToRegexp(collapseSlashes(a))
		if err != nil {
			return "", err
		}
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(re[1 : len(re)-1])
	}
	b.WriteString(`)$`)
	return b.String(), nil
}

func collapseSlashes(s string) string {
	for strings.Contains(s, "//") {
		s = strings.ReplaceAll(s, "//", "/")
	}
	return s
}

// expandAlternations returns the plain patterns {a,b} alternations stand
// for, or ok=false when there would be more than limit.
func expandAlternations(pat string, limit int) ([]string, bool) {
	// Each group multiplies; more than a few groups, or a long pattern,
	// is left to regexp alternation (which also bounds recursion here).
	if strings.Count(pat, "{") > maxGroups || len(pat) > maxPatternLen {
		return nil, false
	}
	return expandAlt(pat, limit)
}

const maxGroups = 16

func expandAlt(pat string, limit int) ([]string, bool) {
	// find the first top-level {...}
	start := -1
	depth := 0
	for i := 0; i < len(pat); i++ {
		switch pat[i] {
		case '\\':
			i++
		case '[':
			for i < len(pat) && pat[i] != ']' {
				if pat[i] == '\\' {
					i++
				}
				i++
			}
		case '{':
			if depth == 0 {
				start = i
			}
			depth++
		case '}':
			depth--
			if depth == 0 && start >= 0 {
				prefix, body, rest := pat[:start], pat[start+1:i], pat[i+1:]
				var out []string
				size := 0
				for _, alt := range splitTopLevel(body) {
					subs, ok := expandAlt(prefix+alt+rest, limit)
					if !ok {
						return nil, false
					}
					for _, x := range subs {
						size += len(x)
					}
					out = append(out, subs...)
					if len(out) > limit || size > maxPatternLen {
						return nil, false
					}
				}
				return out, true
			}
		}
	}
	return []string{pat}, true
}

// splitTopLevel splits an alternation body at its top-level commas.
func splitTopLevel(s string) []string {
	var out []string
	depth, last := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[last:i])
				last = i + 1
			}
		}
	}
	return append(out, s[last:])
}

// samplePath returns one concrete path a pattern matches: the first
// alternative, wildcards replaced by a placeholder segment.
func samplePath(pat string) string {
	if alts, ok := expandAlternations(pat, maxAlternatives); ok && len(alts) > 0 {
		pat = alts[0]
	}
	var b strings.Builder
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch c {
		case '\\':
			if i+1 < len(pat) {
				i++
				b.WriteByte(pat[i])
			}
		case '*':
			for i+1 < len(pat) && pat[i+1] == '*' {
				i++
			}
			b.WriteString("secprof")
		case '?':
			b.WriteByte('x')
		case '[':
			j := i + 1
			neg := j < len(pat) && (pat[j] == '^' || pat[j] == '!')
			for j < len(pat) && pat[j] != ']' {
				j++
			}
			if neg || i+1 >= len(pat) {
				b.WriteByte('~')
			} else {
				b.WriteByte(pat[i+1])
			}
			i = j
		case '{', '}':
		default:
			b.WriteByte(c)
		}
	}
	return collapseSlashes(b.String())
}
