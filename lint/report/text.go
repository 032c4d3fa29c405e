package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/secprof/secprof/lint"
)

// TextOptions tune the text format.
type TextOptions struct {
	// NoSource omits the source line and caret.
	NoSource bool
}

// Text writes `file:line:col: severity: message [rule]`, then the source
// line with a caret under the offending value, then the fix if any, and a
// closing summary line.
func Text(w io.Writer, in Input, opt TextOptions) error {
	bw := bufio.NewWriter(w)
	for _, f := range in.Findings {
		fmt.Fprintf(bw, "%s:%d:%d: %s: %s [%s]\n", f.File, f.Line, f.Column, f.Severity, oneLine(f.Message), f.Rule)
		if !opt.NoSource {
			if file := in.Files[f.File]; file != nil && f.Line > 0 {
				if src := file.Line(f.Line); src != "" {
					writeSource(bw, src, f)
				}
			}
		}
		if f.Fix != "" {
			fmt.Fprintf(bw, "  fix: %s\n", oneLine(f.Fix))
		}
	}
	s := Summarize(in)
	fmt.Fprintf(bw, "%s in %s\n", plural(s.Findings, "finding"), plural(s.Files, "file"))
	if s.Findings > 0 {
		fmt.Fprintf(bw, "(%s, %s, %s)\n", plural(s.Errors, "error"), plural(s.Warnings, "warning"), plural(s.Infos, "info"))
	}
	return bw.Flush()
}

// writeSource prints the line with tabs expanded so the caret lines up, and
// underlines to the end column when the span stays on the line.
func writeSource(w io.Writer, src string, f lint.Finding) {
	const maxLen = 200
	line := strings.ReplaceAll(src, "\t", "    ")
	col := f.Column
	// recompute the column after tab expansion
	if col > 0 {
		prefix := src
		if n := byteOffset(src, col-1); n <= len(src) {
			prefix = src[:n]
		}
		col = utf8.RuneCountInString(strings.ReplaceAll(prefix, "\t", "    ")) + 1
	}
	if utf8.RuneCountInString(line) > maxLen {
		return // minified JSON: the caret would be useless
	}
	fmt.Fprintf(w, "  %s\n", line)
	if col < 1 {
		return
	}
	width := 1
	if f.EndLine == f.Line && f.EndColumn > f.Column {
		width = f.EndColumn - f.Column
	}
	fmt.Fprintf(w, "  %s^%s\n", strings.Repeat(" ", col-1), strings.Repeat("~", width-1))
}

// byteOffset returns the byte offset of the n-th character of s.
func byteOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}

// oneLine keeps a message on one line whatever the input put into it.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	if word == "info" {
		return fmt.Sprintf("%d infos", n)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
