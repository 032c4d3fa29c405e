package apparmor

import (
	"fmt"
	"strings"
)

// FilePerms is a parsed file permission string such as "rwk" or "mrPix".
type FilePerms struct {
	Read, Write, Append, Link, Lock, Mmap bool
	// Exec is the exec transition as written but normalised: "ix", "ux",
	// "Ux", "px", "Px", "cx", "Cx", "pix", "Pix", "cix", "Cix", "pux",
	// "PUx", "cux", "CUx", or "x" (bare, only valid in deny rules).
	Exec string
}

// String renders the perms in AppArmor's canonical order.
func (p FilePerms) String() string {
	var b strings.Builder
	if p.Read {
		b.WriteByte('r')
	}
	if p.Write {
		b.WriteByte('w')
	}
	if p.Append {
		b.WriteByte('a')
	}
	if p.Link {
		b.WriteByte('l')
	}
	if p.Lock {
		b.WriteByte('k')
	}
	if p.Mmap {
		b.WriteByte('m')
	}
	b.WriteString(p.Exec)
	return b.String()
}

// Writes reports whether the perms allow modifying the file.
func (p FilePerms) Writes() bool { return p.Write || p.Append }

// Unconfined reports whether the exec transition leaves confinement.
func (p FilePerms) Unconfined() bool { return strings.ContainsAny(p.Exec, "uU") }

// Union adds q to p (exec: q's transition wins when p has none).
func (p FilePerms) Union(q FilePerms) FilePerms {
	p.Read = p.Read || q.Read
	p.Write = p.Write || q.Write
	p.Append = p.Append || q.Append
	p.Link = p.Link || q.Link
	p.Lock = p.Lock || q.Lock
	p.Mmap = p.Mmap || q.Mmap
	if p.Exec == "" {
		p.Exec = q.Exec
	}
	return p
}

// allFilePerms is what `file,` grants.
var allFilePerms = FilePerms{Read: true, Write: true, Append: true, Link: true, Lock: true, Mmap: true, Exec: "ix"}

// isModeWord reports whether s is made only of file permission characters,
// the way apparmor_parser's lexer recognises a mode token.
func isModeWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); {
		n := modeTokenLen(s[i:])
		if n == 0 {
			return false
		}
		i += n
	}
	return true
}

// modeTokenLen returns the length of the mode token at the start of s: an
// exec qualifier group ([pPcC]?[iIuU]x, [pPcC]x) or a single permission
// character.
func modeTokenLen(s string) int {
	isX := func(i int) bool { return i < len(s) && (s[i] == 'x' || s[i] == 'X') }
	isIU := func(i int) bool { return i < len(s) && strings.IndexByte("iIuU", s[i]) >= 0 }
	switch c := s[0]; {
	case strings.IndexByte("pPcC", c) >= 0:
		if isIU(1) && isX(2) {
			return 3
		}
		if isX(1) {
			return 2
		}
		return 0
	case strings.IndexByte("iIuU", c) >= 0:
		if isX(1) {
			return 2
		}
		return 0
	case strings.IndexByte("rRwWaLlMmkXx", c) >= 0:
		return 1
	}
	return 0
}

// parseFilePerms parses a mode word. deny tells whether the rule is a deny
// rule, where only a bare x is allowed.
func parseFilePerms(s string, deny bool) (FilePerms, error) {
	var p FilePerms
	for i := 0; i < len(s); {
		n := modeTokenLen(s[i:])
		if n == 0 {
			return p, fmt.Errorf("invalid permission character %q in %q", s[i], s)
		}
		tok := s[i : i+n]
		i += n
		if n == 1 {
			switch tok {
			case "r", "R":
				p.Read = true
			case "w", "W":
				p.Write = true
			case "a":
				p.Append = true
			case "l", "L":
				p.Link = true
			case "k":
				p.Lock = true
			case "m", "M":
				p.Mmap = true
			case "x", "X":
				if p.Exec != "" && p.Exec != "x" {
					return p, fmt.Errorf("exec qualifier conflicts with %q already given in %q", p.Exec, s)
				}
				p.Exec = "x"
			}
			continue
		}
		ex := normExec(tok)
		if deny {
			return p, fmt.Errorf("in deny rules 'x' must not be preceded by an exec qualifier ('%s' in %q)", tok, s)
		}
		if p.Exec != "" && p.Exec != ex {
			return p, fmt.Errorf("exec qualifier '%s' conflicts with %q already given in %q", tok, p.Exec, s)
		}
		p.Exec = ex
	}
	if p.Exec == "x" && !deny {
		return p, fmt.Errorf("'x' must be preceded by an exec qualifier 'i', 'p', 'c' or 'u' (e.g. ix, px) in %q", s)
	}
	if p.Write && p.Append {
		return p, fmt.Errorf("'a' and 'w' are mutually exclusive in %q", s)
	}
	return p, nil
}

// normExec spells an exec group the way the manual does: Pix, PUx, cux...
func normExec(tok string) string {
	var b strings.Builder
	for i, c := range tok {
		switch {
		case c == 'X':
			b.WriteByte('x')
		case i == 0 && (c == 'p' || c == 'P' || c == 'c' || c == 'C'):
			b.WriteRune(c)
		case c == 'I' || c == 'i':
			b.WriteByte('i')
		case c == 'U' || c == 'u':
			// Ux and PUx/CUx scrub the environment; keep the case.
			if i == 0 {
				b.WriteRune(c)
			} else if tok[0] == 'P' || tok[0] == 'C' {
				b.WriteByte('U')
			} else {
				b.WriteByte('u')
			}
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}
