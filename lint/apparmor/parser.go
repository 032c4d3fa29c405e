package apparmor

import (
	"fmt"
	"strings"
)

// Bounds that keep hostile input from exhausting the stack or memory.
const (
	maxNesting = 1000 // profiles, blocks and conditionals inside each other (bison allows 10000)
	maxErrors  = 50   // syntax errors kept per file
	maxListLen = 4096 // items of one (...) list
)

// Parse parses one file without resolving includes or variables. The
// returned File is usable even when err (an ErrorList) is not nil: the
// parser recovers at the end of the broken statement.
func Parse(name string, src []byte) (*File, error) {
	f := parse(name, src)
	if len(f.Errors) > 0 {
		return f, ErrorList(f.Errors)
	}
	return f, nil
}

type parser struct {
	lx    *lexer
	f     *File
	depth int
	dead  bool // too many errors or too deep: stop parsing
}

func parse(name string, src []byte) *File {
	p := &parser{lx: newLexer(src), f: &File{Name: name, Src: src}}
	p.f.Stmts = p.stmts(false)
	p.f.Comments = p.lx.comments
	return p.f
}

func (p *parser) errorf(sp Span, format string, args ...any) {
	if len(p.f.Errors) >= maxErrors {
		p.dead = true
		return
	}
	p.f.Errors = append(p.f.Errors, &Error{File: p.f.Name, Span: sp, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) warnf(sp Span, format string, args ...any) {
	if len(p.f.Warnings) >= maxErrors {
		return
	}
	p.f.Warnings = append(p.f.Warnings, &Error{File: p.f.Name, Span: sp, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) errTok(t token, format string, args ...any) {
	p.errorf(p.lx.spanOf(t), format, args...)
}

// unexpected reports t where want was expected.
func (p *parser) unexpected(t token, want string) {
	p.errTok(t, "unexpected %s, expecting %s", t.describe(), want)
}

// recover skips to the end of the broken statement: past the next ',' at
// brace depth 0, or up to (not past) the '}' closing the current body.
func (p *parser) recover() {
	depth := 0
	for !p.dead {
		t := p.lx.peek(mNormal)
		switch t.kind {
		case tEOF:
			return
		case tLBrace:
			depth++
		case tRBrace:
			if depth == 0 {
				return
			}
			depth--
			if depth == 0 {
				p.lx.next(mNormal)
				return
			}
		case tComma:
			if depth == 0 {
				p.lx.next(mNormal)
				return
			}
		case tHashInclude:
			if depth == 0 && t.nl {
				return
			}
		}
		p.lx.next(mNormal)
	}
}

func (p *parser) span(start int) Span {
	return Span{Start: p.lx.pos(start), End: p.lx.pos(p.lx.off)}
}

// stmts parses statements up to the '}' closing a body (left unconsumed) or
// the end of the file.
func (p *parser) stmts(inBody bool) []Stmt {
	var out []Stmt
	for !p.dead {
		t := p.lx.peek(mNormal)
		switch t.kind {
		case tEOF:
			if inBody {
				p.errTok(t, "unexpected end of file, expecting '}'")
			}
			return out
		case tRBrace:
			if inBody {
				return out
			}
			p.lx.next(mNormal)
			p.errTok(t, "unexpected '}' outside of any profile or block")
			continue
		}
		before := p.lx.off
		nerr := len(p.f.Errors)
		if s := p.stmt(); s != nil {
			out = append(out, s)
		} else if len(p.f.Errors) > nerr {
			// the statement is incomplete: skip its rest
			p.recover()
		}
		if p.lx.off == before {
			p.lx.next(mNormal) // never loop without progress
		}
	}
	// drain: nothing more is parsed once dead
	p.lx.off = len(p.lx.src)
	return out
}

// aheadIs reports whether the token after the next one (in mNormal) has
// kind k, without consuming anything.
func (p *parser) secondIs(k tokKind) bool {
	save := p.lx.off
	p.lx.next(mNormal)
	t := p.lx.peek(mNormal)
	p.lx.off = save
	return t.kind == k
}

func (p *parser) second() token {
	save := p.lx.off
	p.lx.next(mNormal)
	t := p.lx.peek(mNormal)
	p.lx.off = save
	return t
}

func (p *parser) stmt() Stmt {
	t := p.lx.peek(mNormal)
	switch t.kind {
	case tHashInclude:
		return p.include()
	case tCaret:
		return p.profile("^")
	case tLBrace:
		return p.block(Prefix{}, t.start)
	case tBad:
		p.lx.next(mNormal)
		p.errTok(t, "unexpected %s", t.text)
		return nil
	case tWord:
		if !t.quoted {
			switch t.text {
			case "include":
				if isSpace(p.lx.at(t.end)) {
					return p.include()
				}
			case "abi":
				return p.abi()
			case "alias", "rewrite":
				return p.alias()
			case "if":
				return p.ifStmt()
			case "profile":
				return p.profile("profile")
			case "hat":
				return p.profile("hat")
			case "set":
				return p.rlimit()
			}
			if isVarName(t.text) && p.secondIs(tAssign) {
				return p.variable()
			}
		}
		if looksLikePath(t) {
			t2 := p.second()
			if t2.kind == tWord && !t2.quoted && isModeWord(t2.text) {
				return p.rule()
			}
			if t2.kind == tLBrace || t2.kind == tLParen || t2.kind == tWord {
				return p.profile("")
			}
			return p.rule()
		}
		if !t.quoted && !stmtKeywords[t.text] && !classKeywords[t.text] && !isModeWord(t.text) {
			// `foo {` or `foo flags=(...) {`: a profile without the keyword
			t2 := p.second()
			if t2.kind == tLBrace || (t2.kind == tWord && t2.text == "flags") {
				return p.profile("")
			}
		}
	}
	return p.rule()
}

// looksLikePath reports whether t can be a file path or a profile name
// that needs no keyword: /path, @{var}..., "quoted", :namespace:.
func looksLikePath(t token) bool {
	if t.kind != tWord {
		return false
	}
	if t.quoted {
		return true
	}
	if t.text == "" {
		return false
	}
	switch t.text[0] {
	case '/', '@', ':', '&':
		return true
	}
	return false
}

func (p *parser) include() Stmt {
	start := p.lx.next(mNormal)
	inc := &Include{Hash: start.kind == tHashInclude}
	if t := p.lx.peek(mNormal); t.kind == tWord && t.text == "if" && !t.quoted && !t.nl {
		save := p.lx.off
		p.lx.next(mNormal)
		if t2 := p.lx.peek(mNormal); t2.kind == tWord && t2.text == "exists" && !t2.nl {
			p.lx.next(mNormal)
			inc.IfExists = true
		} else {
			p.lx.off = save
		}
	}
	target, angle, tt, ok := p.lx.includeTarget()
	inc.Target, inc.Angle = target, angle
	inc.Span = p.span(start.start)
	if !ok || target == "" {
		p.errorf(Span{Start: p.lx.pos(tt.start), End: p.lx.pos(tt.end)}, "include needs a file name: <name> or \"name\"")
		return inc
	}
	return inc
}

func (p *parser) abi() Stmt {
	start := p.lx.next(mNormal)
	a := &Abi{}
	target, angle, tt, ok := p.lx.includeTarget()
	a.Target, a.Angle = target, angle
	if !ok || target == "" {
		p.errorf(Span{Start: p.lx.pos(tt.start), End: p.lx.pos(tt.end)}, "abi needs a file name: <name> or \"name\"")
		a.Span = p.span(start.start)
		return a
	}
	p.expectComma("abi rule")
	a.Span = p.span(start.start)
	return a
}

func (p *parser) alias() Stmt {
	start := p.lx.next(mNormal)
	a := &Alias{}
	from, ok := p.take(mNormal, tWord, "a path after alias")
	if !ok {
		return nil
	}
	a.From = p.lx.word(from)
	if _, ok := p.take(mNormal, tArrow, "'->'"); !ok {
		return nil
	}
	to, ok := p.take(mID, tWord, "a path after '->'")
	if !ok {
		return nil
	}
	a.To = p.lx.word(to)
	p.expectComma("alias")
	a.Span = p.span(start.start)
	return a
}

func (p *parser) variable() Stmt {
	nameTok := p.lx.next(mNormal)
	name, _ := varName(nameTok.text)
	v := &Variable{Name: name, Bool: nameTok.text[0] == '$'}
	op := p.lx.next(mNormal)
	v.Op = op.text
	for {
		t := p.lx.peek(mValue)
		if t.kind == tEOF || t.nl {
			break
		}
		if t.kind == tComma {
			p.lx.next(mValue)
			p.errTok(t, "variable declarations do not accept trailing commas")
			continue
		}
		if t.kind != tWord {
			p.lx.next(mValue)
			p.unexpected(t, "a value")
			continue
		}
		p.lx.next(mValue)
		v.Values = append(v.Values, p.lx.word(t))
	}
	v.Span = p.span(nameTok.start)
	if len(v.Values) == 0 {
		p.errorf(v.Span, "variable %s has no value", nameTok.text)
	}
	if v.Bool && len(v.Values) > 0 && v.Op != "+=" {
		if b := v.Values[0].Text; len(v.Values) > 1 || (b != "true" && b != "false") {
			p.warnf(v.Span, "boolean variable %s should be true or false", nameTok.text)
		}
	}
	return v
}

func (p *parser) profile(kw string) Stmt {
	start := p.lx.peek(mNormal).start
	prof := &Profile{Keyword: kw}
	var nameTok token
	if kw == "" {
		nameTok = p.lx.next(mNormal)
	} else {
		p.lx.next(mNormal)
		var ok bool
		if nameTok, ok = p.take(mID, tWord, "a profile name"); !ok {
			return nil
		}
	}
	prof.Name = p.lx.word(nameTok)
	if kw == "" && !looksLikePath(nameTok) {
		p.errTok(nameTok, "profile names must begin with '/', a namespace or the keyword 'profile' or 'hat'")
	}
	// attachment
	if t := p.lx.peek(mNormal); t.kind == tWord && t.text != "+" && !p.keyAssignAhead() {
		p.lx.next(mNormal)
		w := p.lx.word(t)
		prof.Attachment = &w
		if !(strings.HasPrefix(t.text, "/") || strings.HasPrefix(t.text, "@{")) {
			p.errTok(t, "profile attachment must begin with '/' or a variable")
		}
	}
	for !p.dead {
		t := p.lx.peek(mNormal)
		if t.kind == tWord && !t.quoted && t.text == "flags" && p.secondIs(tAssign) {
			p.lx.next(mNormal)
			p.lx.next(mNormal)
			if _, ok := p.take(mID, tLParen, "'(' after flags="); !ok {
				return nil
			}
			prof.Flags = p.list(mList)
			continue
		}
		if t.kind == tLParen {
			p.lx.next(mNormal)
			prof.Flags = p.list(mList)
			continue
		}
		if t.kind == tWord && p.keyAssignAhead() {
			prof.Conds = append(prof.Conds, p.cond())
			continue
		}
		if t.kind == tWord && t.text == "+" {
			// AppArmor 5 identities: `+ identities=(...)`
			p.lx.next(mNormal)
			continue
		}
		break
	}
	for _, f := range prof.Flags {
		if !knownFlag(f.Text) {
			p.warnf(f.Span, "unknown profile flag %q", f.Text)
		}
	}
	p.checkFlagConflicts(prof.Flags)
	if _, ok := p.take(mNormal, tLBrace, "'{'"); !ok {
		return nil
	}
	prof.Body = p.body()
	prof.Span = p.span(start)
	return prof
}

// body parses statements up to and including the closing '}' (the '{' has
// been consumed).
func (p *parser) body() []Stmt {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxNesting {
		p.errorf(p.span(p.lx.off), "profiles and blocks nested more than %d deep", maxNesting)
		p.dead = true
		return nil
	}
	body := p.stmts(true)
	if t := p.lx.peek(mNormal); t.kind == tRBrace {
		p.lx.next(mNormal)
	}
	return body
}

// flagGroups are profile flags of which at most one may be given.
var flagGroups = [][]string{
	{"enforce", "complain", "kill", "unconfined", "prompt", "default_allow"},
	{"mediate_deleted", "delegate_deleted"},
	{"attach_disconnected", "no_attach_disconnected"},
	{"chroot_relative", "namespace_relative"},
	{"chroot_attach", "chroot_no_attach"},
}

func (p *parser) checkFlagConflicts(flags []Word) {
	for _, g := range flagGroups {
		var first *Word
		for i := range flags {
			f := &flags[i]
			in := false
			for _, x := range g {
				in = in || f.Text == x
			}
			if !in {
				continue
			}
			if first != nil && first.Text != f.Text {
				p.errorf(f.Span, "profile flag %s conflicts with %s", f.Text, first.Text)
				return
			}
			if first == nil {
				first = f
			}
		}
	}
}

func knownFlag(f string) bool {
	if profileFlags[f] {
		return true
	}
	for _, pre := range profileFlagPrefixes {
		if strings.HasPrefix(f, pre) {
			return true
		}
	}
	return false
}

// list parses the items of a (...) list after its '('; commas separate
// items like blanks do.
func (p *parser) list(m lexMode) []Word {
	var out []Word
	for !p.dead {
		t := p.lx.next(m)
		switch t.kind {
		case tRParen:
			return out
		case tComma:
			continue
		case tWord:
			if len(out) < maxListLen {
				out = append(out, p.lx.word(t))
			}
			continue
		}
		p.unexpected(t, "')'")
		return out
	}
	return out
}

// keyAssignAhead reports whether the next tokens are `key=`, `key:=` or
// `key in (`: a conditional.
func (p *parser) keyAssignAhead() bool {
	t := p.lx.peek(mNormal)
	if t.kind != tWord || t.quoted || !validVarName(t.text) {
		return false
	}
	save := p.lx.off
	defer func() { p.lx.off = save }()
	p.lx.next(mNormal)
	t2 := p.lx.peek(mNormal)
	if t2.kind == tAssign {
		return t2.text == "=" || t2.text == ":="
	}
	if t2.kind == tWord && t2.text == "in" {
		p.lx.next(mNormal)
		return p.lx.peek(mNormal).kind == tLParen
	}
	return false
}

// cond parses key=value, key=(values), key in (values), peer=(k=v ...).
func (p *parser) cond() Cond {
	key := p.lx.next(mNormal)
	c := Cond{Key: p.lx.word(key)}
	op := p.lx.next(mNormal)
	c.Op = op.text
	if op.kind == tWord { // in
		p.lx.next(mNormal) // (
		c.List = true
		c.Values = p.list(mList)
		c.Span = p.span(key.start)
		return c
	}
	v := p.lx.peek(mID)
	switch v.kind {
	case tLParen:
		p.lx.next(mID)
		c.List = true
		if key.text == "peer" || key.text == "xattrs" {
			c.Sub = p.condList()
		} else {
			c.Values = p.list(mList)
		}
	case tWord:
		p.lx.next(mID)
		c.Values = []Word{p.lx.word(v)}
	default:
		p.unexpected(v, "a value after "+key.text+c.Op)
	}
	c.Span = p.span(key.start)
	return c
}

// condList parses `k=v k2=(a b))` after peer=( or xattrs=(.
func (p *parser) condList() []Cond {
	var out []Cond
	for !p.dead {
		t := p.lx.next(mCondList)
		switch t.kind {
		case tRParen:
			return out
		case tComma:
			continue
		case tWord:
			c := Cond{Key: p.lx.word(t)}
			op := p.lx.next(mCondList)
			if op.kind != tAssign {
				// a bare value, e.g. xattrs=(security.foo)
				c.Span = p.lx.spanOf(t)
				out = append(out, c)
				p.lx.off = op.start
				p.lx.cached = false
				continue
			}
			c.Op = op.text
			v := p.lx.next(mList)
			switch v.kind {
			case tLParen:
				c.List = true
				c.Values = p.list(mList)
			case tWord:
				c.Values = []Word{p.lx.word(v)}
			default:
				p.unexpected(v, "a value")
				return out
			}
			c.Span = p.span(t.start)
			if len(out) < maxListLen {
				out = append(out, c)
			}
			continue
		}
		p.unexpected(t, "')'")
		return out
	}
	return out
}

// take consumes the next token when it has kind k; otherwise it reports
// it, leaves it in place for recovery and returns false.
func (p *parser) take(m lexMode, k tokKind, want string) (token, bool) {
	t := p.lx.peek(m)
	if t.kind != k {
		p.unexpected(t, want)
		return t, false
	}
	p.lx.next(m)
	return t, true
}

func (p *parser) expectComma(what string) bool {
	t := p.lx.peek(mNormal)
	if t.kind == tComma {
		p.lx.next(mNormal)
		return true
	}
	p.errTok(t, "unexpected %s, expecting ',' at the end of the %s", t.describe(), what)
	return false
}

func (p *parser) ifStmt() Stmt {
	// else-if chains recurse: count them as nesting
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxNesting {
		p.errorf(p.span(p.lx.off), "conditionals nested more than %d deep", maxNesting)
		p.dead = true
		return nil
	}
	start := p.lx.next(mNormal)
	st := &If{}
	for !p.dead {
		t := p.lx.peek(mNormal)
		if t.kind == tLBrace {
			break
		}
		if t.kind != tWord && t.kind != tLParen && t.kind != tRParen && t.kind != tBang {
			p.unexpected(t, "a condition followed by '{'")
			return nil
		}
		p.lx.next(mNormal)
		st.Expr = append(st.Expr, p.lx.word(t))
	}
	if len(st.Expr) == 0 {
		p.errTok(start, "if needs a condition")
	}
	p.lx.next(mNormal) // {
	st.Then = p.body()
	if t := p.lx.peek(mNormal); t.kind == tWord && t.text == "else" && !t.quoted {
		p.lx.next(mNormal)
		switch n := p.lx.peek(mNormal); {
		case n.kind == tWord && n.text == "if":
			if s := p.ifStmt(); s != nil {
				st.Else = []Stmt{s}
			}
		case n.kind == tLBrace:
			p.lx.next(mNormal)
			st.Else = p.body()
		default:
			p.unexpected(n, "'{' or 'if' after else")
		}
	}
	st.Span = p.span(start.start)
	return st
}

func (p *parser) block(pre Prefix, start int) Stmt {
	p.lx.next(mNormal) // {
	b := &Block{Prefix: pre}
	b.Body = p.body()
	b.Span = p.span(start)
	return b
}

func (p *parser) rlimit() Stmt {
	start := p.lx.next(mNormal)
	r := &RlimitRule{}
	if t := p.lx.peek(mNormal); t.kind != tWord || t.text != "rlimit" {
		p.unexpected(t, "'rlimit' after set")
		return nil
	}
	p.lx.next(mNormal)
	res, ok := p.take(mNormal, tWord, "an rlimit name")
	if !ok {
		return nil
	}
	r.Resource = p.lx.word(res)
	if !rlimits[res.text] {
		p.warnf(r.Resource.Span, "unknown rlimit %q", res.text)
	}
	if t := p.lx.peek(mNormal); t.kind != tWord || t.text != "<=" {
		p.unexpected(t, "'<='")
		return nil
	}
	p.lx.next(mNormal)
	var parts []string
	vstart := p.lx.peek(mNormal).start
	for {
		t := p.lx.peek(mNormal)
		if t.kind != tWord {
			break
		}
		p.lx.next(mNormal)
		parts = append(parts, t.text)
	}
	if len(parts) == 0 {
		p.unexpected(p.lx.peek(mNormal), "a value")
		return nil
	}
	r.Value = Word{Span: p.span(vstart), Text: strings.Join(parts, " ")}
	p.expectComma("rlimit rule")
	r.Span = p.span(start.start)
	return r
}

// prefix parses [priority=N] [audit] [allow|deny|prompt] [owner|user|other]
// in that order, as apparmor_parser requires.
func (p *parser) prefix() Prefix {
	var pre Prefix
	stage := 0
	for !p.dead {
		t := p.lx.peek(mNormal)
		if t.kind != tWord || t.quoted {
			return pre
		}
		st := 0
		switch t.text {
		case "priority":
			if !p.secondIs(tAssign) {
				return pre
			}
			st = 1
		case "audit":
			st = 2
		case "allow", "deny", "prompt":
			st = 3
		case "owner", "user", "other":
			st = 4
		default:
			return pre
		}
		if st <= stage {
			p.errTok(t, "qualifier '%s' out of order (the order is priority=, audit, allow/deny/prompt, owner/other)", t.text)
		}
		stage = st
		p.lx.next(mNormal)
		switch st {
		case 1:
			p.lx.next(mNormal) // =
			v, ok := p.take(mID, tWord, "an integer after priority=")
			if !ok {
				return pre
			}
			if !isInteger(v.text) {
				p.unexpected(v, "an integer after priority=")
			}
			w := p.lx.word(v)
			pre.Priority = &w
		case 2:
			pre.Audit = true
		case 3:
			pre.Mode = t.text
		case 4:
			pre.Owner = t.text
			if t.text == "user" {
				pre.Owner = "owner"
			}
		}
	}
	return pre
}

func isInteger(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (p *parser) rule() Stmt {
	start := p.lx.peek(mNormal).start
	pre := p.prefix()
	st := p.ruleBody(pre, start)
	if pre.Owner != "" && st != nil {
		// owner/other qualify file access only
		var kind string
		switch r := st.(type) {
		case *CapabilityRule:
			kind = "capability"
		case *ClassRule:
			kind = r.Class
		case *ChangeProfileRule:
			kind = "change_profile"
		case *AllRule:
			kind = "all"
		}
		if kind != "" {
			p.errorf(SpanOf(st), "%s prefix not allowed on %s rules", pre.Owner, kind)
		}
	}
	return st
}

func (p *parser) ruleBody(pre Prefix, start int) Stmt {
	hasPrefix := p.lx.peek(mNormal).start != start
	t := p.lx.peek(mNormal)
	switch t.kind {
	case tLBrace:
		return p.block(pre, start)
	case tWord:
	case tHashInclude:
		if hasPrefix {
			p.errTok(t, "qualifiers cannot precede include")
		}
		return p.include()
	default:
		p.unexpected(t, "a rule")
		return nil
	}
	if !t.quoted {
		switch kw := t.text; {
		case kw == "file":
			p.lx.next(mNormal)
			if p.lx.peek(mNormal).kind == tComma {
				p.lx.next(mNormal)
				return &FileRule{Span: p.span(start), Prefix: pre, Keyword: true, Bare: true}
			}
			return p.fileRule(pre, start, true)
		case kw == "link":
			return p.linkRule(pre, start)
		case kw == "capability":
			return p.capability(pre, start)
		case classKeywords[kw]:
			return p.classRule(pre, start)
		case kw == "change_profile":
			return p.changeProfile(pre, start)
		case kw == "all":
			p.lx.next(mNormal)
			if !p.expectComma("all rule") {
				return nil
			}
			return &AllRule{Span: p.span(start), Prefix: pre}
		case kw == "profile" || kw == "hat" || kw == "if" || kw == "set" || kw == "abi" || kw == "alias" || kw == "include":
			p.lx.next(mNormal)
			p.errTok(t, "qualifiers cannot precede '%s'", kw)
			return nil
		case kw == "safe" || kw == "unsafe" || isModeWord(kw):
			return p.fileRule(pre, start, false)
		case isAlnum(kw[0]):
			if t2 := p.second(); t2.kind == tWord && !t2.quoted && isModeWord(t2.text) {
				return p.fileRule(pre, start, false)
			}
			return p.unrecognized(pre, start)
		}
	}
	return p.fileRule(pre, start, false)
}

func (p *parser) fileRule(pre Prefix, start int, keyword bool) Stmt {
	r := &FileRule{Prefix: pre, Keyword: keyword}
	if t := p.lx.peek(mNormal); t.kind == tWord && !t.quoted && (t.text == "safe" || t.text == "unsafe") {
		// `safe` and `unsafe` qualify an exec transition
		if t2 := p.second(); t2.kind == tWord {
			p.lx.next(mNormal)
			r.ExecMode = t.text
		}
	}
	t, ok := p.take(mNormal, tWord, "a path or permissions")
	if !ok {
		return nil
	}
	if !t.quoted && isModeWord(t.text) && !looksLikePath(t) {
		r.PermsFirst = true
		r.PermsWord = p.lx.word(t)
		if s := p.lx.peek(mNormal); s.kind == tWord && !s.quoted && (s.text == "subset" || s.text == "<=") {
			p.lx.next(mNormal)
			r.Subset = true
		}
		path := p.lx.peek(mNormal)
		if !looksLikePath(path) {
			p.unexpected(path, "a path starting with '/' or a variable")
			return nil
		}
		p.lx.next(mNormal)
		r.Path = p.lx.word(path)
	} else {
		if !looksLikePath(t) {
			if m := p.lx.peek(mNormal); t.quoted || !isAlnum(t.text[0]) || m.kind != tWord || !isModeWord(m.text) {
				p.errTok(t, "unexpected '%s': file rules start with a path ('/' or a variable) or permissions", t.text)
				return nil
			}
			// apparmor_parser accepts a relative path here
			p.warnf(p.lx.spanOf(t), "file rule path %q does not start with '/'", t.text)
		}
		r.Path = p.lx.word(t)
		m := p.lx.peek(mNormal)
		if m.kind != tWord || m.quoted || !isModeWord(m.text) {
			p.unexpected(m, "permissions (r, w, ix, ...) after the path")
			return nil
		}
		p.lx.next(mNormal)
		r.PermsWord = p.lx.word(m)
	}
	if p.lx.peek(mNormal).kind == tArrow {
		p.lx.next(mNormal)
		tg, ok := p.take(mID, tWord, "a target after '->'")
		if !ok {
			return nil
		}
		w := p.lx.word(tg)
		r.Target = &w
	}
	if !p.expectComma("file rule") {
		return nil
	}
	r.Span = p.span(start)
	perms, err := parseFilePerms(r.PermsWord.Text, pre.Deny())
	r.Perms = perms
	if err != nil {
		p.errorf(r.PermsWord.Span, "%v", err)
	}
	return r
}

func (p *parser) linkRule(pre Prefix, start int) Stmt {
	p.lx.next(mNormal)
	r := &LinkRule{Prefix: pre}
	if s := p.lx.peek(mNormal); s.kind == tWord && !s.quoted && (s.text == "subset" || s.text == "<=") {
		p.lx.next(mNormal)
		r.Subset = true
	}
	from := p.lx.peek(mNormal)
	if !looksLikePath(from) {
		p.unexpected(from, "a path after link")
		return nil
	}
	p.lx.next(mNormal)
	r.From = p.lx.word(from)
	if _, ok := p.take(mNormal, tArrow, "'->'"); !ok {
		return nil
	}
	to, ok := p.take(mID, tWord, "a link target")
	if !ok {
		return nil
	}
	r.To = p.lx.word(to)
	if !p.expectComma("link rule") {
		return nil
	}
	r.Span = p.span(start)
	return r
}

func (p *parser) capability(pre Prefix, start int) Stmt {
	p.lx.next(mNormal)
	r := &CapabilityRule{Prefix: pre}
	for !p.dead {
		t := p.lx.peek(mNormal)
		if t.kind != tWord {
			break
		}
		p.lx.next(mNormal)
		w := p.lx.word(t)
		if t.quoted || !isAlnum(t.text[0]) {
			p.errTok(t, "invalid capability %s", t.describe())
		} else if !capabilities[t.text] {
			p.warnf(w.Span, "unknown capability %q", t.text)
		}
		r.Caps = append(r.Caps, w)
	}
	if !p.expectComma("capability rule") {
		return nil
	}
	r.Span = p.span(start)
	return r
}

func (p *parser) classRule(pre Prefix, start int) Stmt {
	kw := p.lx.next(mNormal)
	class := kw.text
	if class == "unmount" {
		class = "umount"
	}
	r := &ClassRule{Prefix: pre, Class: class}
	if t := p.lx.peek(mNormal); t.kind == tLParen {
		p.lx.next(mNormal)
		r.Perms = p.list(mList)
		if len(r.Perms) == 0 {
			p.errTok(t, "empty permission list")
		}
	} else if t.kind == tWord && !t.quoted && classPerms[class][t.text] && !p.keyAssignAhead() {
		p.lx.next(mNormal)
		r.Perms = []Word{p.lx.word(t)}
	}
	for _, w := range r.Perms {
		if ps := classPerms[class]; ps != nil && !ps[w.Text] {
			p.warnf(w.Span, "unknown %s permission %q", class, w.Text)
		} else if ps == nil {
			p.errorf(w.Span, "%s rules take no permissions", class)
		}
	}
	for !p.dead {
		t := p.lx.peek(mNormal)
		switch t.kind {
		case tComma:
			p.lx.next(mNormal)
			r.Span = p.span(start)
			p.checkClassRule(r)
			return r
		case tArrow:
			p.lx.next(mNormal)
			if r.Arrow || (class != "mount" && class != "pivot_root") {
				p.errTok(t, "unexpected '->' in %s rule", class)
			}
			r.Arrow = true
			continue
		case tWord:
			if p.keyAssignAhead() {
				c := p.cond()
				if r.Arrow {
					r.TargetConds = append(r.TargetConds, c)
				} else {
					r.Conds = append(r.Conds, c)
				}
				continue
			}
			m := mNormal
			if r.Arrow {
				m = mID
			}
			p.lx.next(m)
			w := p.lx.word(t)
			if r.Arrow {
				if r.Target != nil {
					p.errTok(t, "unexpected %s after the target of the %s rule", t.describe(), class)
				}
				r.Target = &w
			} else {
				r.Args = append(r.Args, w)
			}
			continue
		}
		p.unexpected(t, "',' at the end of the "+class+" rule")
		return nil
	}
	return nil
}

// checkClassRule validates what the grammar fixes per class.
func (p *parser) checkClassRule(r *ClassRule) {
	if n := len(r.Args); n > maxArgs[r.Class] {
		w := r.Args[maxArgs[r.Class]]
		p.errorf(w.Span, "unexpected '%s' in %s rule", w.Text, r.Class)
		return
	}
	if r.Class == "network" {
		for i, w := range r.Args {
			switch {
			case i == 0 && (networkDomains[w.Text] || networkTypes[w.Text] || networkProtocols[w.Text]):
			case i == 1 && (networkTypes[w.Text] || networkProtocols[w.Text]):
			default:
				p.warnf(w.Span, "unknown network domain, type or protocol %q", w.Text)
			}
		}
	}
}

func (p *parser) changeProfile(pre Prefix, start int) Stmt {
	p.lx.next(mNormal)
	r := &ChangeProfileRule{Prefix: pre}
	if t := p.lx.peek(mNormal); t.kind == tWord && !t.quoted && (t.text == "safe" || t.text == "unsafe") {
		p.lx.next(mNormal)
		r.ExecMode = t.text
	}
	if t := p.lx.peek(mID); t.kind == tWord {
		p.lx.next(mID)
		w := p.lx.word(t)
		r.Exec = &w
	}
	if p.lx.peek(mNormal).kind == tArrow {
		p.lx.next(mNormal)
		t, ok := p.take(mID, tWord, "a profile name after '->'")
		if !ok {
			return nil
		}
		w := p.lx.word(t)
		r.Target = &w
	}
	if !p.expectComma("change_profile rule") {
		return nil
	}
	r.Span = p.span(start)
	return r
}

// unrecognized keeps `word ... ,` whose keyword is unknown: it may be
// syntax from a newer AppArmor.
func (p *parser) unrecognized(pre Prefix, start int) Stmt {
	kw := p.lx.next(mNormal)
	if capabilities[kw.text] || networkDomains[kw.text] {
		p.errTok(kw, "unexpected '%s' (a ',' ends a capability or network rule: list several names separated by blanks)", kw.text)
		return nil
	}
	r := &Unrecognized{Prefix: pre, Keyword: p.lx.word(kw)}
	depth := 0
	for !p.dead {
		t := p.lx.peek(mNormal)
		switch t.kind {
		case tComma:
			if depth == 0 {
				p.lx.next(mNormal)
				r.Span = p.span(start)
				p.warnf(r.Span, "unrecognized rule '%s': secprof does not check it (apparmor_parser decides)", kw.text)
				return r
			}
		case tLParen:
			depth++
		case tRParen:
			if depth > 0 {
				depth--
			}
		case tLBrace, tRBrace, tEOF, tHashInclude, tBad:
			p.unexpected(t, "','")
			return nil
		}
		p.lx.next(mNormal)
		if t.kind == tWord && len(r.Words) < maxListLen {
			r.Words = append(r.Words, p.lx.word(t))
		}
	}
	return nil
}
