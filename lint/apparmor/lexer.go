package apparmor

import (
	"bytes"
	"sort"
	"strings"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tWord
	tLBrace
	tRBrace
	tLParen
	tRParen
	tComma
	tArrow
	tAssign // = += ?= :=
	tCaret
	tBang
	tHashInclude
	tBad
)

func (k tokKind) String() string {
	switch k {
	case tEOF:
		return "end of file"
	case tWord:
		return "word"
	case tLBrace:
		return "'{'"
	case tRBrace:
		return "'}'"
	case tLParen:
		return "'('"
	case tRParen:
		return "')'"
	case tComma:
		return "','"
	case tArrow:
		return "'->'"
	case tAssign:
		return "'='"
	case tCaret:
		return "'^'"
	case tBang:
		return "'!'"
	case tHashInclude:
		return "#include"
	}
	return "invalid input"
}

type token struct {
	kind       tokKind
	start, end int // byte offsets
	text       string
	quoted     bool
	nl         bool // a line break separates it from the previous token
}

func (t token) describe() string {
	if t.kind == tWord {
		s := t.text
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return "'" + s + "'"
	}
	if t.kind == tAssign {
		return "'" + t.text + "'"
	}
	if t.kind == tBad {
		return t.text
	}
	return t.kind.String()
}

// lexMode selects how words are cut. AppArmor's lexer is modal (flex start
// conditions); these are the few distinctions that matter for the grammar.
type lexMode uint8

const (
	// mNormal: rule context. Words that start with a letter or digit are
	// identifiers, modes or keywords and stop at punctuation; other words
	// are paths and may contain braces and commas followed by a word
	// character (`/a/{b,c}`).
	mNormal lexMode = iota
	// mID: a profile name, a conditional value or a transition target:
	// full ID syntax.
	mID
	// mValue: a variable value; parentheses and braces are ordinary.
	mValue
	// mList: inside (...): values end at whitespace, ',' or ')'.
	mList
	// mCondList: inside peer=(...): like mList, '=' separates key and value.
	mCondList
)

type lexer struct {
	src      []byte
	off      int
	lines    []int // offsets of line starts
	comments []Comment
	// charTable[k] is the number of characters in src[:k*charChunk]
	charTable []int
	ascii     bool // one byte per character

	// one-token cache, keyed by mode and offset
	cached    bool
	cacheMode lexMode
	cacheOff  int
	cacheNext int
	cacheTok  token
}

func newLexer(src []byte) *lexer {
	lx := &lexer{src: src, ascii: true}
	lx.lines = append(make([]int, 0, bytes.Count(src, []byte{'\n'})+1), 0)
	for i, c := range src {
		if c == '\n' {
			lx.lines = append(lx.lines, i+1)
		} else if c >= 0x80 {
			lx.ascii = false
		}
	}
	return lx
}

// pos converts a byte offset into a position. Columns count characters:
// the bytes that do not continue a UTF-8 sequence, counted from a table of
// running totals every 256 bytes, so that any position costs O(256) even
// on a file made of one huge line.
func (lx *lexer) pos(off int) Pos {
	if off > len(lx.src) {
		off = len(lx.src)
	}
	if off < 0 {
		off = 0
	}
	i := sort.Search(len(lx.lines), func(i int) bool { return lx.lines[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	ls := lx.lines[i]
	switch {
	case lx.ascii:
		return Pos{Offset: off, Line: i + 1, Col: off - ls + 1}
	case off-ls < 2*charChunk:
		return Pos{Offset: off, Line: i + 1, Col: countChars(lx.src[ls:off]) + 1}
	}
	return Pos{Offset: off, Line: i + 1, Col: lx.chars(off) - lx.chars(ls) + 1}
}

func countChars(b []byte) int {
	n := 0
	for _, c := range b {
		if c&0xC0 != 0x80 {
			n++
		}
	}
	return n
}

const charChunk = 256

// chars returns the number of characters in src[:off].
func (lx *lexer) chars(off int) int {
	if lx.charTable == nil {
		lx.charTable = make([]int, len(lx.src)/charChunk+1)
		n := 0
		for i, c := range lx.src {
			if i%charChunk == 0 {
				lx.charTable[i/charChunk] = n
			}
			if c&0xC0 != 0x80 {
				n++
			}
		}
	}
	k := off / charChunk
	return lx.charTable[k] + countChars(lx.src[k*charChunk:off])
}

func (lx *lexer) spanOf(t token) Span { return Span{Start: lx.pos(t.start), End: lx.pos(t.end)} }

func (lx *lexer) word(t token) Word {
	return Word{Span: lx.spanOf(t), Text: t.text, Quoted: t.quoted}
}

func (lx *lexer) peek(m lexMode) token {
	if lx.cached && lx.cacheMode == m && lx.cacheOff == lx.off {
		return lx.cacheTok
	}
	save := lx.off
	t := lx.scan(m)
	lx.cached, lx.cacheMode, lx.cacheOff, lx.cacheNext, lx.cacheTok = true, m, save, lx.off, t
	lx.off = save
	return t
}

func (lx *lexer) next(m lexMode) token {
	t := lx.peek(m)
	lx.off = lx.cacheNext
	return t
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' }
func isSpace(c byte) bool { return isBlank(c) || c == '\n' }
func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// isIDChar is apparmor's ID_CHARS: anything but blanks, '"', '!' and ','.
func isIDChar(c byte) bool { return !isSpace(c) && c != '"' && c != '!' && c != ',' && c != 0 }

func (lx *lexer) at(i int) byte {
	if i < len(lx.src) {
		return lx.src[i]
	}
	return 0
}

// skipSpace skips blanks, line continuations and comments; it reports
// whether a line break was crossed. It stops before "#include".
func (lx *lexer) skipSpace() bool {
	nl := false
	for lx.off < len(lx.src) {
		c := lx.src[lx.off]
		switch {
		case c == '\n':
			nl = true
			lx.off++
		case isBlank(c):
			lx.off++
		case c == '\\' && lx.at(lx.off+1) == '\n':
			lx.off += 2
		case c == '\\' && lx.at(lx.off+1) == '\r' && lx.at(lx.off+2) == '\n':
			lx.off += 3
		case c == '#':
			if bytes.HasPrefix(lx.src[lx.off:], []byte("#include")) {
				return nl
			}
			end := bytes.IndexByte(lx.src[lx.off:], '\n')
			if end < 0 {
				end = len(lx.src)
			} else {
				end += lx.off
			}
			if n := len(lx.comments); n == 0 || lx.comments[n-1].Start.Offset < lx.off {
				lx.comments = append(lx.comments, Comment{
					Span: Span{Start: lx.pos(lx.off), End: lx.pos(end)},
					Text: strings.TrimSuffix(string(lx.src[lx.off+1:end]), "\r"),
				})
			}
			lx.off = end
		default:
			return nl
		}
	}
	return nl
}

func (lx *lexer) scan(m lexMode) token {
	nl := lx.skipSpace()
	start := lx.off
	tok := func(k tokKind, n int) token {
		lx.off += n
		return token{kind: k, start: start, end: lx.off, text: string(lx.src[start:lx.off]), nl: nl}
	}
	if lx.off >= len(lx.src) {
		return token{kind: tEOF, start: start, end: start, nl: nl}
	}
	c := lx.src[lx.off]
	if c == 0 {
		t := tok(tBad, 1)
		t.text = "a NUL byte"
		return t
	}
	if c == '"' {
		return lx.quoted(nl)
	}
	if c == '#' {
		// skipSpace stops at '#' only for #include
		return tok(tHashInclude, len("#include"))
	}
	switch m {
	case mList, mCondList:
		switch c {
		case '(':
			return tok(tLParen, 1)
		case ')':
			return tok(tRParen, 1)
		case ',':
			return tok(tComma, 1)
		}
		if m == mCondList {
			if c == '=' {
				return tok(tAssign, 1)
			}
			if c == ':' && lx.at(lx.off+1) == '=' {
				return tok(tAssign, 2)
			}
		}
		i := lx.off
		for i < len(lx.src) {
			d := lx.src[i]
			if d == '\\' && i+1 < len(lx.src) && lx.src[i+1] != '\n' && lx.src[i+1] != 0 {
				i += 2 // \" \( \) \, and \<blank> are part of the value
				continue
			}
			if isSpace(d) || d == ',' || d == '(' || d == ')' || d == '"' || d == 0 {
				break
			}
			if m == mCondList && (d == '=' || d == ':' && lx.at(i+1) == '=') {
				break
			}
			i++
		}
		return tok(tWord, i-lx.off)
	case mID, mValue:
		switch c {
		case ',':
			return tok(tComma, 1)
		case '!':
			return tok(tBang, 1)
		}
		if c == '-' && lx.at(lx.off+1) == '>' {
			return tok(tArrow, 2)
		}
		if m == mID {
			switch c {
			case '(':
				return tok(tLParen, 1)
			case ')':
				return tok(tRParen, 1)
			case '{':
				// a lone brace opens a body; `{a,b}` is a value
				if !isIDChar(lx.at(lx.off + 1)) {
					return tok(tLBrace, 1)
				}
			case '}':
				if !isIDChar(lx.at(lx.off + 1)) {
					return tok(tRBrace, 1)
				}
			}
		}
		return tok(tWord, lx.idsLen(lx.off, false))
	}
	// mNormal
	switch c {
	case '{':
		return tok(tLBrace, 1)
	case '}':
		return tok(tRBrace, 1)
	case '(':
		return tok(tLParen, 1)
	case ')':
		return tok(tRParen, 1)
	case ',':
		return tok(tComma, 1)
	case '!':
		return tok(tBang, 1)
	case '^':
		return tok(tCaret, 1)
	case '=':
		return tok(tAssign, 1)
	case '-':
		if lx.at(lx.off+1) == '>' {
			return tok(tArrow, 2)
		}
	case '+', '?', ':':
		if lx.at(lx.off+1) == '=' {
			return tok(tAssign, 2)
		}
	}
	if isAlnum(c) {
		i := lx.off
		for i < len(lx.src) {
			d := lx.src[i]
			if !isIDChar(d) || d == '=' || d == '(' || d == ')' || d == '{' || d == '}' || d == '#' || d == '<' || d == '>' {
				break
			}
			if (d == '+' || d == '?' || d == ':') && lx.at(i+1) == '=' {
				break
			}
			i++
		}
		return tok(tWord, i-lx.off)
	}
	return tok(tWord, lx.idsLen(lx.off, true))
}

// idsLen returns the length of the ID starting at i: ID characters, with a
// comma allowed when a word character follows it. With varStop, a word that
// is exactly a variable reference stops before an assignment operator
// (`@{X}=a`).
func (lx *lexer) idsLen(i int, varStop bool) int {
	start := i
	for i < len(lx.src) {
		d := lx.src[i]
		if d == ',' {
			if isIDChar(lx.at(i + 1)) {
				i += 2
				continue
			}
			break
		}
		if d == '\\' && i+1 < len(lx.src) && lx.src[i+1] != '\n' && lx.src[i+1] != 0 {
			// \<blank>, \", \! and \, are part of the ID
			i += 2
			continue
		}
		if !isIDChar(d) {
			break
		}
		if varStop && (d == '=' || (d == '+' || d == '?' || d == ':') && lx.at(i+1) == '=') && isVarName(string(lx.src[start:i])) {
			break
		}
		i++
	}
	if i == start {
		// never return an empty token: consume one byte
		_, n := utf8.DecodeRune(lx.src[i:])
		return n
	}
	return i - start
}

// quoted scans a "..." word; \" and \\ are unescaped.
func (lx *lexer) quoted(nl bool) token {
	start := lx.off
	var b strings.Builder
	i := start + 1
	for i < len(lx.src) {
		c := lx.src[i]
		if c == 0 {
			lx.off = i + 1
			return token{kind: tBad, start: start, end: lx.off, text: "a NUL byte in a quoted string", nl: nl}
		}
		if c == '\\' && i+1 < len(lx.src) && (lx.src[i+1] == '"' || lx.src[i+1] == '\\') {
			b.WriteByte(lx.src[i+1])
			i += 2
			continue
		}
		if c == '"' {
			lx.off = i + 1
			return token{kind: tWord, start: start, end: lx.off, text: b.String(), quoted: true, nl: nl}
		}
		b.WriteByte(c)
		i++
	}
	lx.off = len(lx.src)
	return token{kind: tBad, start: start, end: lx.off, text: "an unterminated quoted string", nl: nl}
}

// includeTarget scans the target of include/abi: <name>, <"name">, "name"
// or a bare name.
func (lx *lexer) includeTarget() (target string, angle bool, t token, ok bool) {
	lx.cached = false
	for lx.off < len(lx.src) && isSpace(lx.src[lx.off]) {
		lx.off++
	}
	start := lx.off
	t = token{kind: tWord, start: start}
	if lx.off >= len(lx.src) {
		t.end = start
		return "", false, t, false
	}
	switch lx.src[lx.off] {
	case '<':
		i := lx.off + 1
		if lx.at(i) == '"' {
			lx.off = i
			q := lx.quoted(false)
			if q.kind != tWord || lx.at(lx.off) != '>' {
				t.end = lx.off
				return "", true, t, false
			}
			lx.off++
			t.end = lx.off
			return q.text, true, t, true
		}
		for i < len(lx.src) && lx.src[i] != '>' {
			if c := lx.src[i]; c == '"' || c == '\t' || c == '\r' || c == '\n' || c == 0 {
				lx.off = i
				t.end = i
				return "", true, t, false
			}
			i++
		}
		if i >= len(lx.src) {
			lx.off = i
			t.end = i
			return "", true, t, false
		}
		lx.off = i + 1
		t.end = lx.off
		return strings.TrimSpace(string(lx.src[start+1 : i])), true, t, true
	case '"':
		q := lx.quoted(false)
		t.end = lx.off
		return q.text, false, t, q.kind == tWord
	}
	i := lx.off
	for i < len(lx.src) {
		c := lx.src[i]
		if c == ',' && isIDChar(lx.at(i+1)) && lx.at(i+1) != '<' && lx.at(i+1) != '>' {
			i += 2
			continue
		}
		if !isIDChar(c) || c == '<' || c == '>' {
			break
		}
		i++
	}
	lx.off = i
	t.end = i
	return string(lx.src[start:i]), false, t, i > start
}

// isVarName reports whether s is exactly a variable reference: @{NAME},
// @NAME, ${NAME} or $NAME.
func isVarName(s string) bool {
	_, ok := varName(s)
	return ok
}

// varName returns NAME for @{NAME}, @NAME, ${NAME}, $NAME.
func varName(s string) (string, bool) {
	if len(s) < 2 || (s[0] != '@' && s[0] != '$') {
		return "", false
	}
	s = s[1:]
	if s[0] == '{' {
		if len(s) < 3 || s[len(s)-1] != '}' {
			return "", false
		}
		s = s[1 : len(s)-1]
	}
	if !validVarName(s) {
		return "", false
	}
	return s, true
}

func validVarName(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}
