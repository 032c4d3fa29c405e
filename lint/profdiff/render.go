package profdiff

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// Formats lists the values of `secprof diff --format`.
var Formats = []string{"text", "markdown", "json"}

// Write renders r in format.
func Write(w io.Writer, format string, r *Report) error {
	switch format {
	case "text", "":
		return Text(w, r)
	case "markdown":
		return Markdown(w, r, MarkdownOptions{})
	case "json":
		return JSON(w, r)
	}
	return fmt.Errorf("unknown format %q (want text, markdown or json)", format)
}

// JSON writes r as indented JSON with a summary of counts.
func JSON(w io.Writer, r *Report) error {
	files := r.Files
	if files == nil {
		files = []FileDiff{}
	}
	for i := range files {
		if files[i].Items == nil {
			files[i].Items = []Item{}
		}
	}
	out := struct {
		Base    string     `json:"base"`
		Head    string     `json:"head"`
		Files   []FileDiff `json:"files"`
		Summary Counts     `json:"summary"`
	}{r.Base, r.Head, files, r.Counts()}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// Text writes one block per file: a header, then one line per item with
// its risk, riskiest first.
func Text(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	for _, f := range r.Files {
		name := plain(f.Path)
		if f.OldPath != "" {
			name = plain(f.OldPath) + " → " + name
		}
		fmt.Fprintf(bw, "%s (%s, %s)\n", name, f.Status, f.Type)
		for _, e := range f.Errors {
			fmt.Fprintf(bw, "  error   %s\n", plain(e))
		}
		if len(f.Items) == 0 && len(f.Errors) == 0 {
			fmt.Fprintf(bw, "  (no change to what the profile allows)\n")
		}
		for _, it := range f.Items {
			loc := ""
			if it.Line > 0 {
				loc = fmt.Sprintf("%d:%d: ", it.Line, it.Column)
			}
			prof := ""
			if it.Profile != "" {
				prof = plain(it.Profile) + ": "
			}
			fmt.Fprintf(bw, "  %-7s %s%s%s [%s]\n", it.Risk, loc, prof, plain(it.Message), it.Kind)
		}
	}
	c := r.Counts()
	fmt.Fprintf(bw, "%s changed: %d high, %d medium, %d low, %d info", plural(len(r.Files), "profile file"), c.High, c.Medium, c.Low, c.Info)
	if c.Errors > 0 {
		fmt.Fprintf(bw, ", %d not compared", c.Errors)
	}
	fmt.Fprintln(bw)
	return bw.Flush()
}

// MarkdownOptions tune Markdown.
type MarkdownOptions struct {
	// Heading is the level of the section heading (default 3).
	Heading int
	// MaxItems bounds the rows (default 500), so a huge change cannot
	// blow the 1 MiB job summary limit.
	MaxItems int
}

// Markdown writes r as a section for a pull request comment or a job
// summary: a headline with counts, then a table per file. Every string
// from a profile or a path is escaped, so nothing in it is read as
// Markdown or HTML.
func Markdown(w io.Writer, r *Report, opt MarkdownOptions) error {
	if opt.Heading <= 0 || opt.Heading > 6 {
		opt.Heading = 3
	}
	if opt.MaxItems <= 0 {
		opt.MaxItems = 500
	}
	bw := bufio.NewWriter(w)
	h := strings.Repeat("#", opt.Heading)
	c := r.Counts()
	fmt.Fprintf(bw, "%s Profile changes since %s\n\n", h, MarkdownText(r.Base))
	if len(r.Files) == 0 {
		fmt.Fprintf(bw, "No profile changed.\n")
		return bw.Flush()
	}
	fmt.Fprintf(bw, "%s changed: **%d high**, %d medium, %d low, %d info.\n", plural(len(r.Files), "profile file"), c.High, c.Medium, c.Low, c.Info)
	rows := 0
	for _, f := range r.Files {
		name := MarkdownText(f.Path)
		if f.OldPath != "" {
			name = MarkdownText(f.OldPath) + " → " + name
		}
		fmt.Fprintf(bw, "\n%s# %s (%s, %s)\n\n", h, name, f.Status, f.Type)
		for _, e := range f.Errors {
			fmt.Fprintf(bw, "- not compared: %s\n", MarkdownText(e))
		}
		if len(f.Errors) > 0 {
			fmt.Fprintln(bw)
		}
		if len(f.Items) == 0 {
			if len(f.Errors) == 0 {
				fmt.Fprintf(bw, "No change to what the profile allows.\n")
			}
			continue
		}
		fmt.Fprintf(bw, "| Risk | Change | Line |\n|---|---|---|\n")
		for i, it := range f.Items {
			if rows >= opt.MaxItems {
				fmt.Fprintf(bw, "| | … %d more items (see `secprof diff --format json`) | |\n", len(f.Items)-i)
				break
			}
			rows++
			line := ""
			if it.Line > 0 {
				line = fmt.Sprint(it.Line)
			}
			msg := MarkdownText(it.Message)
			if it.Profile != "" {
				msg = MarkdownText(it.Profile) + ": " + msg
			}
			fmt.Fprintf(bw, "| %s | %s | %s |\n", riskBadge(it.Risk), msg, line)
		}
	}
	return bw.Flush()
}

func riskBadge(r Risk) string {
	switch r {
	case High:
		return "🔴 high"
	case Medium:
		return "🟠 medium"
	case Low:
		return "🟡 low"
	}
	return "⚪ info"
}

// MarkdownText escapes s for use as inline text, also inside a table
// cell: ASCII punctuation is backslash-escaped, HTML's special characters
// become entities, and line breaks and control characters become spaces,
// so a hostile file name or message cannot add markup, links, HTML, rows
// or lines.
func MarkdownText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		case r < 0x80 && unicode.IsPunct(r) || r < 0x80 && unicode.IsSymbol(r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\r' || r == '\n' || r == '\t' || r == '\u2028' || r == '\u2029':
			b.WriteByte(' ')
		case unicode.IsControl(r) || r == '\uFEFF' || unicode.Is(unicode.Bidi_Control, r):
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// plain makes s one printable line for the text format.
func plain(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
