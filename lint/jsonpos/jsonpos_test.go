package jsonpos

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestPositions(t *testing.T) {
	src := "{\n  \"é\": [1, \"ü\"],\n\t\"b\": {\"c\": null}\n}"
	n, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	f := n.Get("é")
	if f == nil {
		t.Fatal("no key é")
	}
	if got := f.KeyStart.String() + "-" + f.KeyEnd.String(); got != "2:3-2:6" {
		t.Errorf("key span = %s, want 2:3-2:6", got)
	}
	arr := f.Value
	if got := arr.Start.String() + "-" + arr.End.String(); got != "2:8-2:16" {
		t.Errorf("array span = %s, want 2:8-2:16", got)
	}
	if s := arr.Elems[1]; s.Str != "ü" || s.Start.Col != 12 || s.End.Col != 15 {
		t.Errorf("string node = %+v", s)
	}
	c := n.Value("b").Get("c")
	if c.KeyStart.Line != 3 || c.KeyStart.Col != 8 || c.Value.Kind != Null {
		t.Errorf("c = %+v value %+v", c, c.Value)
	}
	if n.End.Line != 4 || n.End.Col != 2 {
		t.Errorf("root end = %v", n.End)
	}
}

func TestSyntaxErrors(t *testing.T) {
	for _, tc := range []struct{ in, pos, msg string }{
		{`{"a": 1,}`, "1:9", "trailing comma"},
		{"{\n  \"a\": tru\n}", "2:11", "literal true"},
		{`{"a" 1}`, "1:6", "expected ':'"},
		{`[1, 2`, "1:6", "not closed"},
		{`{"a": 1} x`, "1:10", "after top-level value"},
		{"\"ab\tc\"", "1:4", "control character"},
		{`{"é": 01}`, "1:8", "after object key:value pair"},
		{`"\x"`, "1:2", "invalid escape"},
		{"\ufeff{}", "1:1", "byte-order mark"},
		{``, "1:1", "unexpected end of input"},
		{`-`, "1:2", "end of input in number"},
		{`1.`, "1:3", "decimal point"},
		{`1e+`, "1:4", "exponent"},
	} {
		_, err := Parse([]byte(tc.in))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: err = %v, want a SyntaxError", tc.in, err)
			continue
		}
		if se.Pos.String() != tc.pos || !strings.Contains(se.Msg, tc.msg) {
			t.Errorf("%q: got %v, want %s: …%s…", tc.in, se, tc.pos, tc.msg)
		}
		if json.Valid([]byte(tc.in)) {
			t.Errorf("%q: encoding/json accepts what we refuse", tc.in)
		}
	}
}

func TestDepthLimit(t *testing.T) {
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	if _, err := ParseOptions([]byte(deep), Options{MaxDepth: 50}); err == nil || !strings.Contains(err.Error(), "nesting deeper than 50") {
		t.Errorf("err = %v", err)
	}
	if _, err := ParseOptions([]byte(deep), Options{MaxDepth: 100}); err != nil {
		t.Errorf("depth 100 within limit 100: %v", err)
	}
	huge := strings.Repeat("[", 1<<20)
	if _, err := Parse([]byte(huge)); err == nil {
		t.Error("a million open brackets parsed")
	}
}

func TestDuplicates(t *testing.T) {
	n, err := Parse([]byte(`{"a":1,"b":2,"a":3}`))
	if err != nil {
		t.Fatal(err)
	}
	d := n.Duplicates()
	if len(d) != 1 || d[0].Key != "a" || d[0].KeyStart.Col != 14 {
		t.Fatalf("duplicates = %+v", d)
	}
	if v, _ := n.Value("a").Uint64(); v != 3 {
		t.Errorf("last key must win, got %d", v)
	}
}

func TestStrings(t *testing.T) {
	n, err := Parse([]byte(`["a\"\\\/\b\f\n\r\t", "\u00e9\ud83d\ude00", "\ud800x", "` + "\xff" + `"]`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a\"\\/\b\f\n\r\t", "é😀", "\ufffdx", "\ufffd"}
	for i, w := range want {
		if n.Elems[i].Str != w {
			t.Errorf("elem %d = %q, want %q", i, n.Elems[i].Str, w)
		}
	}
}

// TestMatchesEncodingJSON checks the tree against encoding/json on the
// repository's fixtures and Debian's profile.
func TestMatchesEncodingJSON(t *testing.T) {
	files := corpus(t)
	if len(files) == 0 {
		t.Fatal("no JSON corpus found")
	}
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		checkAgainstStdlib(t, b)
	}
}

func checkAgainstStdlib(t *testing.T, b []byte) {
	t.Helper()
	n, err := Parse(b)
	if (err == nil) != json.Valid(b) {
		t.Fatalf("%q: our error %v, encoding/json valid=%v", b, err, json.Valid(b))
	}
	if err != nil {
		var se *SyntaxError
		if !errors.As(err, &se) || se.Pos.Line < 1 || se.Pos.Col < 1 || se.Pos.Off > len(b) {
			t.Fatalf("%q: bad error %v", b, err)
		}
		return
	}
	var want any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&want); err != nil {
		t.Fatalf("%q: encoding/json: %v", b, err)
	}
	if got := n.Interface(); !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: tree %#v, encoding/json %#v", b, got, want)
	}
	checkSpans(t, b, n)
}

// checkSpans verifies that every node's offsets cut out exactly its token
// and that line:column agree with the offsets.
func checkSpans(t *testing.T, b []byte, n *Node) {
	t.Helper()
	var walk func(n *Node)
	walk = func(n *Node) {
		if n.Start.Off >= n.End.Off || n.End.Off > len(b) {
			t.Fatalf("%q: bad span %+v-%+v", b, n.Start, n.End)
		}
		for _, p := range []Pos{n.Start, n.End} {
			line := 1 + bytes.Count(b[:p.Off], []byte("\n"))
			ls := bytes.LastIndexByte(b[:p.Off], '\n') + 1
			col := 1 + len([]rune(string(b[ls:p.Off])))
			if p.Line != line || p.Col != col {
				t.Fatalf("%q: pos %+v, want line %d col %d", b, p, line, col)
			}
		}
		tok := b[n.Start.Off:n.End.Off]
		switch n.Kind {
		case Object:
			if tok[0] != '{' || tok[len(tok)-1] != '}' {
				t.Fatalf("%q: object span %q", b, tok)
			}
			for _, f := range n.Fields {
				if b[f.KeyStart.Off] != '"' || b[f.KeyEnd.Off-1] != '"' {
					t.Fatalf("%q: key span %q", b, b[f.KeyStart.Off:f.KeyEnd.Off])
				}
				walk(f.Value)
			}
		case Array:
			if tok[0] != '[' || tok[len(tok)-1] != ']' {
				t.Fatalf("%q: array span %q", b, tok)
			}
			for _, e := range n.Elems {
				walk(e)
			}
		case Number:
			if string(tok) != n.Str {
				t.Fatalf("%q: number span %q, literal %q", b, tok, n.Str)
			}
		}
	}
	walk(n)
}

func corpus(t testing.TB) []string {
	var files []string
	for _, g := range []string{"testdata/*.json", "../../fixtures/seccomp/*/*.json", "/usr/share/containers/seccomp.json"} {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	return files
}

func FuzzParse(f *testing.F) {
	for _, path := range corpus(f) {
		if b, err := os.ReadFile(path); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{`{}`, `[]`, `{"a":[1,-2.5e3,true,false,null,"\u00e9"]}`, `{"a":1,"a":2}`, `[1,]`, "{\"\xff\":\"\\ud800\"}", `"\ud83d\ude00"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkAgainstStdlib(t, b)
	})
}

func BenchmarkParse(b *testing.B) {
	data := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeBaseline is the yardstick for BenchmarkParse: bare
// encoding/json decoding of the same bytes into a generic value.
func BenchmarkDecodeBaseline(b *testing.B) {
	data := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func benchData(b *testing.B) []byte {
	data, err := os.ReadFile("testdata/docker-default.json")
	if err != nil {
		b.Fatal(err)
	}
	return data
}
