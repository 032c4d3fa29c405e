// Package jsonpos parses JSON into a tree that remembers where every key and
// value was written (line, column in characters, byte offset), so that a
// linter can point at the exact token that is wrong. It accepts exactly the
// JSON that encoding/json accepts (RFC 8259), keeps duplicate keys (callers
// decide what to say about them), bounds nesting depth, and reports syntax
// errors with the position of the offending character.
package jsonpos

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Pos is a position in the input. Line and Col are 1-based; Col counts
// Unicode characters, not bytes. Off is the byte offset.
type Pos struct {
	Off  int
	Line int
	Col  int
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Kind is the JSON type of a node.
type Kind uint8

const (
	Invalid Kind = iota
	Null
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{"invalid", "null", "boolean", "number", "string", "array", "object"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Node is one JSON value. End is exclusive (the position just after the
// value's last character).
type Node struct {
	Kind       Kind
	Start, End Pos
	// Str holds the decoded text of a String, the literal of a Number
	// (e.g. "-1.5e3") and "true"/"false"/"null" for the others.
	Str    string
	Bool   bool
	Elems  []*Node  // Array elements
	Fields []*Field // Object members in source order, duplicates included
}

// Field is one member of an object.
type Field struct {
	Key              string
	KeyStart, KeyEnd Pos // the quoted key, quotes included
	Value            *Node
}

// Get returns the member named key, or nil. When a key repeats, the last
// occurrence wins, as with encoding/json.
func (n *Node) Get(key string) *Field {
	if n == nil || n.Kind != Object {
		return nil
	}
	for i := len(n.Fields) - 1; i >= 0; i-- {
		if n.Fields[i].Key == key {
			return n.Fields[i]
		}
	}
	return nil
}

// Value returns the value of member key, or nil.
func (n *Node) Value(key string) *Node {
	if f := n.Get(key); f != nil {
		return f.Value
	}
	return nil
}

// Duplicates returns the members of object n whose key already appeared
// earlier in the same object (not recursive).
func (n *Node) Duplicates() []*Field {
	if n == nil || n.Kind != Object || len(n.Fields) < 2 {
		return nil
	}
	var out []*Field
	seen := make(map[string]struct{}, len(n.Fields))
	for _, f := range n.Fields {
		if _, ok := seen[f.Key]; ok {
			out = append(out, f)
			continue
		}
		seen[f.Key] = struct{}{}
	}
	return out
}

// Uint64 returns the value of a Number that is a non-negative integer
// (exponent notation such as 1e3 included, as encoding/json accepts for
// floats but not for integers: it is refused here too).
func (n *Node) Uint64() (uint64, bool) {
	if n == nil || n.Kind != Number {
		return 0, false
	}
	v, err := strconv.ParseUint(n.Str, 10, 64)
	return v, err == nil
}

// Int64 returns the value of a Number that is an integer.
func (n *Node) Int64() (int64, bool) {
	if n == nil || n.Kind != Number {
		return 0, false
	}
	v, err := strconv.ParseInt(n.Str, 10, 64)
	return v, err == nil
}

// Interface converts the tree into the generic form encoding/json produces
// with UseNumber: map[string]any, []any, json.Number, string, bool, nil.
// Duplicate keys keep the last value.
func (n *Node) Interface() any {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case Bool:
		return n.Bool
	case Number:
		return json.Number(n.Str)
	case String:
		return n.Str
	case Array:
		a := make([]any, len(n.Elems))
		for i, e := range n.Elems {
			a[i] = e.Interface()
		}
		return a
	case Object:
		m := make(map[string]any, len(n.Fields))
		for _, f := range n.Fields {
			m[f.Key] = f.Value.Interface()
		}
		return m
	}
	return nil
}

// SyntaxError is malformed input at Pos.
type SyntaxError struct {
	Pos Pos
	Msg string
}

func (e *SyntaxError) Error() string { return e.Pos.String() + ": " + e.Msg }

// DefaultMaxDepth bounds nesting. Profiles nest five levels deep; the bound
// only exists so hostile input cannot exhaust the stack.
const DefaultMaxDepth = 512

// Options tune Parse.
type Options struct {
	// MaxDepth bounds the nesting of arrays and objects (0 means
	// DefaultMaxDepth).
	MaxDepth int
}

// Parse parses one JSON value with default options.
func Parse(data []byte) (*Node, error) { return ParseOptions(data, Options{}) }

// ParseOptions parses one JSON value. Anything but whitespace after it is
// an error. On error the returned node is nil.
func ParseOptions(data []byte, o Options) (*Node, error) {
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	p := &parser{data: data, line: 1, lastCol: 1, maxDepth: o.MaxDepth}
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		// encoding/json (and so every runtime) refuses a byte-order mark.
		return nil, p.errAt(0, "byte-order mark (U+FEFF) before the JSON value: container runtimes refuse it")
	}
	p.skipSpace()
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.i < len(p.data) {
		return nil, p.errAt(p.i, "invalid character %s after top-level value", quoteChar(p.data[p.i:]))
	}
	return n, nil
}

type parser struct {
	nodes    []Node  // arena: nodes are carved from blocks to cut allocations
	fields   []Field // arena for object members
	data     []byte
	i        int
	line     int
	lastOff  int // offset on the current line whose column is lastCol
	lastCol  int
	maxDepth int
}

// pos returns the position of byte offset off, which must lie on the
// current line at or after the last position asked for: positions are asked
// for in increasing order, so columns are counted incrementally in O(n).
func (p *parser) pos(off int) Pos {
	if off < p.lastOff {
		// Never happens in practice; recount from the line start.
		ls := off
		for ls > 0 && p.data[ls-1] != '\n' {
			ls--
		}
		p.lastOff, p.lastCol = ls, 1
	}
	p.lastCol += utf8.RuneCount(p.data[p.lastOff:off])
	p.lastOff = off
	return Pos{Off: off, Line: p.line, Col: p.lastCol}
}

func (p *parser) node(k Kind) *Node {
	if len(p.nodes) == 0 {
		p.nodes = make([]Node, 64)
	}
	n := &p.nodes[0]
	p.nodes = p.nodes[1:]
	n.Kind = k
	return n
}

func (p *parser) field() *Field {
	if len(p.fields) == 0 {
		p.fields = make([]Field, 32)
	}
	f := &p.fields[0]
	p.fields = p.fields[1:]
	return f
}

func (p *parser) errAt(off int, format string, args ...any) error {
	return &SyntaxError{Pos: p.pos(off), Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) skipSpace() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\r':
			p.i++
		case '\n':
			p.i++
			p.line++
			p.lastOff, p.lastCol = p.i, 1
		default:
			return
		}
	}
}

func quoteChar(b []byte) string {
	r, _ := utf8.DecodeRune(b)
	if r == utf8.RuneError {
		return fmt.Sprintf("byte 0x%02x", b[0])
	}
	return strconv.QuoteRune(r)
}

func (p *parser) value(depth int) (*Node, error) {
	if p.i >= len(p.data) {
		return nil, p.errAt(p.i, "unexpected end of input, expected a value")
	}
	start := p.i
	switch c := p.data[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		n := p.node(String)
		n.Str, n.Start, n.End = s, p.pos(start), p.pos(p.i)
		return n, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return p.literal("true", Bool, true)
	case c == 'f':
		return p.literal("false", Bool, false)
	case c == 'n':
		return p.literal("null", Null, false)
	default:
		return nil, p.errAt(p.i, "invalid character %s looking for beginning of value", quoteChar(p.data[p.i:]))
	}
}

func (p *parser) literal(lit string, k Kind, b bool) (*Node, error) {
	start := p.i
	for j := 0; j < len(lit); j++ {
		if p.i+j >= len(p.data) {
			return nil, p.errAt(p.i+j, "unexpected end of input in literal %s", lit)
		}
		if p.data[p.i+j] != lit[j] {
			return nil, p.errAt(p.i+j, "invalid character %s in literal %s", quoteChar(p.data[p.i+j:]), lit)
		}
	}
	p.i += len(lit)
	n := p.node(k)
	n.Str, n.Bool, n.Start, n.End = lit, b, p.pos(start), p.pos(p.i)
	return n, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *parser) number() (*Node, error) {
	start := p.i
	d := p.data
	if d[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i >= len(d):
		return nil, p.errAt(p.i, "unexpected end of input in number")
	case d[p.i] == '0':
		p.i++
	case d[p.i] >= '1' && d[p.i] <= '9':
		for p.i < len(d) && isDigit(d[p.i]) {
			p.i++
		}
	default:
		return nil, p.errAt(p.i, "invalid character %s in numeric literal", quoteChar(d[p.i:]))
	}
	if p.i < len(d) && d[p.i] == '.' {
		p.i++
		if p.i >= len(d) || !isDigit(d[p.i]) {
			return nil, p.errAt(p.i, "expected a digit after the decimal point")
		}
		for p.i < len(d) && isDigit(d[p.i]) {
			p.i++
		}
	}
	if p.i < len(d) && (d[p.i] == 'e' || d[p.i] == 'E') {
		p.i++
		if p.i < len(d) && (d[p.i] == '+' || d[p.i] == '-') {
			p.i++
		}
		if p.i >= len(d) || !isDigit(d[p.i]) {
			return nil, p.errAt(p.i, "expected a digit in the exponent")
		}
		for p.i < len(d) && isDigit(d[p.i]) {
			p.i++
		}
	}
	n := p.node(Number)
	n.Str, n.Start, n.End = string(d[start:p.i]), p.pos(start), p.pos(p.i)
	return n, nil
}

// str scans a quoted string starting at p.i and returns it decoded. Invalid
// UTF-8 becomes U+FFFD, as with encoding/json.
func (p *parser) str() (string, error) {
	d := p.data
	p.i++ // opening quote
	start := p.i
	// Fast path: no escapes, ASCII or valid UTF-8, no control characters.
	for p.i < len(d) {
		c := d[p.i]
		if c == '"' {
			s := d[start:p.i]
			p.i++
			if utf8.Valid(s) {
				return string(s), nil
			}
			return string([]rune(string(s))), nil // replaces invalid bytes with U+FFFD
		}
		if c == '\\' || c < 0x20 {
			break
		}
		p.i++
	}
	buf := make([]byte, 0, p.i-start+16)
	buf = append(buf, d[start:p.i]...)
	for {
		if p.i >= len(d) {
			return "", p.errAt(p.i, "unexpected end of input in string literal")
		}
		c := d[p.i]
		switch {
		case c == '"':
			p.i++
			if !utf8.Valid(buf) {
				return string([]rune(string(buf))), nil
			}
			return string(buf), nil
		case c < 0x20:
			return "", p.errAt(p.i, "invalid control character %q in string literal", rune(c))
		case c == '\\':
			if p.i+1 >= len(d) {
				return "", p.errAt(p.i+1, "unexpected end of input in string escape")
			}
			e := d[p.i+1]
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
				p.i += 2
			case 'b':
				buf = append(buf, '\b')
				p.i += 2
			case 'f':
				buf = append(buf, '\f')
				p.i += 2
			case 'n':
				buf = append(buf, '\n')
				p.i += 2
			case 'r':
				buf = append(buf, '\r')
				p.i += 2
			case 't':
				buf = append(buf, '\t')
				p.i += 2
			case 'u':
				r, ok := hex4(d, p.i+2)
				if !ok {
					return "", p.errAt(p.i, "invalid \\u escape in string literal")
				}
				p.i += 6
				if utf16.IsSurrogate(r) {
					r2, ok2 := rune(-1), false
					if p.i+1 < len(d) && d[p.i] == '\\' && d[p.i+1] == 'u' {
						r2, ok2 = hex4(d, p.i+2)
					}
					if dec := utf16.DecodeRune(r, r2); ok2 && dec != utf8.RuneError {
						r = dec
						p.i += 6
					} else {
						r = utf8.RuneError
					}
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", p.errAt(p.i, "invalid escape %s in string literal", quoteChar(d[p.i+1:]))
			}
		default:
			buf = append(buf, c)
			p.i++
		}
	}
}

func hex4(d []byte, i int) (rune, bool) {
	if i+4 > len(d) {
		return 0, false
	}
	var r rune
	for _, c := range d[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func (p *parser) array(depth int) (*Node, error) {
	if depth >= p.maxDepth {
		return nil, p.errAt(p.i, "nesting deeper than %d levels", p.maxDepth)
	}
	n := p.node(Array)
	n.Start = p.pos(p.i)
	p.i++
	p.skipSpace()
	if p.i < len(p.data) && p.data[p.i] == ']' {
		p.i++
		n.End = p.pos(p.i)
		return n, nil
	}
	for {
		p.skipSpace()
		e, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.Elems = append(n.Elems, e)
		p.skipSpace()
		if p.i >= len(p.data) {
			return nil, p.errAt(p.i, "unexpected end of input, expected ',' or ']' (the array opened at %s is not closed)", n.Start)
		}
		switch p.data[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			n.End = p.pos(p.i)
			return n, nil
		default:
			return nil, p.errAt(p.i, "invalid character %s after array element, expected ',' or ']'", quoteChar(p.data[p.i:]))
		}
	}
}

func (p *parser) object(depth int) (*Node, error) {
	if depth >= p.maxDepth {
		return nil, p.errAt(p.i, "nesting deeper than %d levels", p.maxDepth)
	}
	n := p.node(Object)
	n.Start = p.pos(p.i)
	p.i++
	p.skipSpace()
	if p.i < len(p.data) && p.data[p.i] == '}' {
		p.i++
		n.End = p.pos(p.i)
		return n, nil
	}
	for {
		p.skipSpace()
		if p.i >= len(p.data) {
			return nil, p.errAt(p.i, "unexpected end of input, expected a key (the object opened at %s is not closed)", n.Start)
		}
		if p.data[p.i] != '"' {
			if p.data[p.i] == '}' {
				return nil, p.errAt(p.i, "trailing comma before '}'")
			}
			return nil, p.errAt(p.i, "invalid character %s looking for beginning of object key string", quoteChar(p.data[p.i:]))
		}
		ks := p.i
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		f := p.field()
		f.Key, f.KeyStart, f.KeyEnd = key, p.pos(ks), p.pos(p.i)
		p.skipSpace()
		if p.i >= len(p.data) {
			return nil, p.errAt(p.i, "unexpected end of input, expected ':' after object key")
		}
		if p.data[p.i] != ':' {
			return nil, p.errAt(p.i, "invalid character %s after object key, expected ':'", quoteChar(p.data[p.i:]))
		}
		p.i++
		p.skipSpace()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		f.Value = v
		n.Fields = append(n.Fields, f)
		p.skipSpace()
		if p.i >= len(p.data) {
			return nil, p.errAt(p.i, "unexpected end of input, expected ',' or '}' (the object opened at %s is not closed)", n.Start)
		}
		switch p.data[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			n.End = p.pos(p.i)
			return n, nil
		default:
			return nil, p.errAt(p.i, "invalid character %s after object key:value pair, expected ',' or '}'", quoteChar(p.data[p.i:]))
		}
	}
}
