package lint

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// File is one input file as the checkers see it.
type File struct {
	// Path is the path reported in findings: slash-separated and relative to
	// the workspace root.
	Path string
	// Abs is the absolute path on disk (empty for in-memory files).
	Abs     string
	Content []byte

	linesOnce sync.Once
	lines     []int // byte offset of the start of each line

	kindsOnce sync.Once
	kinds     []string
}

// NewFile wraps content read from elsewhere (tests, stdin, fuzzing).
func NewFile(path string, content []byte) *File {
	return &File{Path: path, Content: content}
}

func (f *File) lineStarts() []int {
	f.linesOnce.Do(func() {
		f.lines = append(f.lines, 0)
		for i, c := range f.Content {
			if c == '\n' {
				f.lines = append(f.lines, i+1)
			}
		}
	})
	return f.lines
}

// Line returns line n (1-based) without its line terminator, or "".
func (f *File) Line(n int) string {
	ls := f.lineStarts()
	if n < 1 || n > len(ls) {
		return ""
	}
	start := ls[n-1]
	end := len(f.Content)
	if n < len(ls) {
		end = ls[n] - 1
	}
	return strings.TrimSuffix(string(f.Content[start:end]), "\r")
}

// PosAt converts a byte offset into a position (columns count characters).
func (f *File) PosAt(off int) Pos {
	if off < 0 {
		off = 0
	}
	if off > len(f.Content) {
		off = len(f.Content)
	}
	ls := f.lineStarts()
	// binary search for the last line start <= off
	lo, hi := 0, len(ls)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if ls[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return Pos{Line: lo + 1, Col: utf8.RuneCount(f.Content[ls[lo]:off]) + 1}
}

// IsBinary reports whether the content looks like something other than text:
// a NUL byte or invalid UTF-8 in the first 8 KiB.
func IsBinary(b []byte) bool {
	head := b
	if len(head) > 8192 {
		head = head[:8192]
		// do not judge a multi-byte character cut in half at the boundary
		for i := 0; i < 3 && len(head) > 0 && !utf8.Valid(head); i++ {
			head = head[:len(head)-1]
		}
	}
	return bytes.IndexByte(head, 0) >= 0 || !utf8.Valid(head)
}

// LooksLikeJSON reports whether the first non-space character opens a JSON
// object (profiles are objects).
func (f *File) LooksLikeJSON() bool {
	t := bytes.TrimLeft(f.Content, " \t\r\n\ufeff")
	return len(t) > 0 && t[0] == '{'
}

var (
	kindRE = regexp.MustCompile(`(?m)^kind:[ \t]*["']?([A-Za-z0-9]+)["']?[ \t]*(?:#.*)?\r?$`)
	// yamlStartRE matches what the first significant line of a YAML
	// manifest looks like: a document marker, a key, or a list item.
	yamlStartRE = regexp.MustCompile(`^(?:---|\.\.\.|%[A-Z]+ |- |["']?[A-Za-z0-9_./-]+["']?[ \t]*:(?:[ \t]|$))`)
)

// looksLikeYAML reports whether the first line that is neither blank nor a
// comment could start a YAML mapping or sequence. It keeps source code that
// embeds a manifest in a string (Go tests, scripts) from being taken for one.
func looksLikeYAML(b []byte) bool {
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		t := bytes.TrimSpace(bytes.TrimPrefix(line, []byte("\ufeff")))
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		return yamlStartRE.Match(bytes.TrimRight(line, "\r"))
	}
	return false
}

// YAMLKinds returns the top-level `kind:` values of every YAML document in the
// file, found with a cheap scan so detection needs no full parse. It is
// empty for anything that is not a Kubernetes-style YAML file.
func (f *File) YAMLKinds() []string {
	f.kindsOnce.Do(func() {
		if f.LooksLikeJSON() || !looksLikeYAML(f.Content) {
			return
		}
		for _, m := range kindRE.FindAllSubmatch(f.Content, -1) {
			f.kinds = append(f.kinds, string(m[1]))
		}
	})
	return f.kinds
}

// HasYAMLKind reports whether some document of the file has kind k.
func (f *File) HasYAMLKind(k string) bool {
	for _, x := range f.YAMLKinds() {
		if x == k {
			return true
		}
	}
	return false
}
