package profdiff

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func hostileReport() *Report {
	name := "evil|name <img src=x onerror=alert(1)>\n| injected | row |\r\n## heading `code` [link](http://x) @team ::error::x %0A"
	return &Report{Base: "main\n# big", Head: "work tree", Files: []FileDiff{{
		Path: name, Status: StatusModified, Type: "seccomp",
		Items:  []Item{{Kind: KindSyscallAllowed, Subject: "ptrace", Risk: High, Message: "msg with | pipe\nand *stars* and <b>html</b>", Line: 3, Column: 4, Profile: "SeccompProfile a|b"}},
		Errors: []string{"new " + name + ":1:1: broken"},
	}}}
}

func TestMarkdownEscapesEverything(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, hostileReport(), MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, line := range strings.Split(out, "\n") {
		// Table rows: exactly the 4 unescaped pipes of a 3-column row.
		if strings.HasPrefix(line, "| ") {
			if n := strings.Count(line, "|") - strings.Count(line, `\|`); n != 4 {
				t.Errorf("row with %d cell separators: %q", n, line)
			}
		}
		if strings.HasPrefix(line, "## heading") || strings.HasPrefix(line, "| injected") || strings.HasPrefix(line, "# big") {
			t.Errorf("injected line: %q", line)
		}
	}
	for _, bad := range []string{"<img", "<b>", "](http", "\r", "`code`", "*stars*"} {
		if strings.Contains(out, bad) {
			t.Errorf("markdown contains %q:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, "🔴 high") || !strings.Contains(out, "| 3 |") {
		t.Errorf("missing risk or line:\n%s", out)
	}
}

func TestMarkdownText(t *testing.T) {
	for in, want := range map[string]string{
		"plain words":    "plain words",
		"a|b":            `a\|b`,
		"<x>&":           "&lt;x&gt;&amp;",
		"line\nbreak":    "line break",
		"_*`[]()!#~\\":   "\\_\\*\\`\\[\\]\\(\\)\\!\\#\\~\\\\",
		"bidi\u202eevil": "bidi\uFFFDevil",
		"ünïcödé 日本":     "ünïcödé 日本",
		"@mention":       `\@mention`,
		"https://x.y/z":  `https\:\/\/x\.y\/z`,
		"quote\"s":       "quote&quot;s",
	} {
		if got := MarkdownText(in); got != want {
			t.Errorf("MarkdownText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTextIsOneLinePerItem(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, hostileReport()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	// header, error, item, summary
	if len(lines) != 4 {
		t.Fatalf("%d lines:\n%s", len(lines), b.String())
	}
	if !strings.HasPrefix(lines[2], "  high    3:4: SeccompProfile a|b: msg with | pipe and") {
		t.Errorf("item line %q", lines[2])
	}
	if strings.ContainsRune(b.String(), '\r') {
		t.Error("carriage return in text output")
	}
}

func TestJSONShape(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, &Report{Base: "a", Head: "b"}); err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if files, ok := v["files"].([]any); !ok || len(files) != 0 {
		t.Errorf("files must be an empty array, got %v", v["files"])
	}
	b.Reset()
	if err := JSON(&b, hostileReport()); err != nil {
		t.Fatal(err)
	}
	var r struct {
		Files []struct {
			Path  string
			Items []map[string]any
		}
		Summary Counts
	}
	if err := json.Unmarshal(b.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Summary.High != 1 || r.Summary.Errors != 1 || r.Files[0].Path != hostileReport().Files[0].Path {
		t.Errorf("%+v", r)
	}
	it := r.Files[0].Items[0]
	for _, k := range []string{"kind", "subject", "risk", "message", "line", "column", "profile"} {
		if _, ok := it[k]; !ok {
			t.Errorf("item has no %q: %v", k, it)
		}
	}
	if it["risk"] != "high" {
		t.Errorf("risk %v", it["risk"])
	}
}

func TestMarkdownLimit(t *testing.T) {
	r := &Report{Base: "a", Head: "b", Files: []FileDiff{{Path: "p", Status: StatusAdded, Type: "seccomp"}}}
	for i := 0; i < 50; i++ {
		r.Files[0].Items = append(r.Files[0].Items, Item{Kind: KindSyscallAllowed, Risk: Low, Message: "m"})
	}
	var b bytes.Buffer
	if err := Markdown(&b, r, MarkdownOptions{MaxItems: 10}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "🟡 low"); n != 10 {
		t.Errorf("%d rows, want 10", n)
	}
	if !strings.Contains(b.String(), "40 more items") {
		t.Errorf("no note on the cut rows:\n%s", b.String())
	}
}

func TestPathsDirectories(t *testing.T) {
	base, head := t.TempDir(), t.TempDir()
	write(t, filepath.Join(base, "a.json"), strict)
	write(t, filepath.Join(head, "a.json"), loose)
	write(t, filepath.Join(base, "sub/gone.json"), strict)
	write(t, filepath.Join(head, "sub/new.json"), strict)
	write(t, filepath.Join(head, "notes.txt"), "hello")
	if err := os.Symlink("/etc/passwd", filepath.Join(head, "link.json")); err != nil {
		t.Fatal(err)
	}
	r, err := Paths(base, head, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range r.Files {
		got = append(got, filepath.Base(f.Path)+" "+f.Status)
	}
	if strings.Join(got, ",") != "a.json modified,gone.json removed,new.json added" {
		t.Errorf("files: %v", got)
	}
	if _, err := Paths(base, filepath.Join(head, "a.json"), Options{}); err == nil {
		t.Error("directory compared with a file")
	}
	if _, err := Paths(filepath.Join(head, "notes.txt"), filepath.Join(head, "notes.txt"), Options{}); err == nil {
		t.Error("two text files compared")
	}
	if _, err := Paths(filepath.Join(base, "missing.json"), filepath.Join(head, "a.json"), Options{}); err == nil {
		t.Error("missing file accepted")
	}
}
