package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xeipuuv/gojsonschema"

	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/linttest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func init() {
	lint.RegisterRules(
		lint.Rule{ID: "test/error-rule", Severity: lint.Error, Summary: "an error rule for reporter tests"},
		lint.Rule{ID: "test/warning-rule", Severity: lint.Warning, Summary: "a warning rule for reporter tests"},
	)
}

const profile = `{
	"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_ALLOW"}]
}
`

func sampleInput() Input {
	f := lint.NewFile("fixtures/odd name %.json", []byte(profile))
	return Input{
		Files:  map[string]*lint.File{f.Path: f},
		Linted: 1,
		Findings: []lint.Finding{
			{Rule: "test/warning-rule", Severity: lint.Warning, File: f.Path, Line: 2, Column: 2, EndLine: 2, EndColumn: 33, Message: "default action allows everything"},
			{Rule: "test/error-rule", Severity: lint.Error, File: f.Path, Line: 3, Column: 31, EndLine: 3, EndColumn: 39, Message: "ptrace is allowed", Fix: "remove \"ptrace\""},
			{Rule: "test/error-rule", Severity: lint.Info, File: "other.json", Line: 1, Column: 1, Message: "no source for this one"},
		},
		Version: "test",
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	linttest.Golden(t, filepath.Join("testdata", name), string(got), *update)
}

func TestFormatsGolden(t *testing.T) {
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, format, sampleInput()); err != nil {
				t.Fatal(err)
			}
			golden(t, "sample."+format, b.Bytes())
		})
	}
}

func TestTextCaretUnderTabExpandedColumn(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, sampleInput(), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	// line 2 of the profile starts with a tab: the caret must sit under the
	// quote after the expanded tab.
	if lines[1] != `      "defaultAction": "SCMP_ACT_ALLOW",` || !strings.HasPrefix(lines[2], "      ^~~~") {
		t.Errorf("caret misplaced:\n%s\n%s", lines[1], lines[2])
	}
}

func TestJSONShape(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, Input{}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if fs, ok := doc["findings"].([]any); !ok || len(fs) != 0 {
		t.Errorf("findings must be an empty array, not null: %s", b.String())
	}
}

// TestGitHubEscaping feeds hostile file names and messages: nothing may
// start a new workflow command or break out of a property.
func TestGitHubEscaping(t *testing.T) {
	in := Input{Findings: []lint.Finding{{
		Rule: "test/error-rule", Severity: lint.Error,
		File: "evil,file=x::name%0A.json\n::set-output name=x::y",
		Line: 1, Column: 1,
		Message: "100% bad\r\n::add-mask::secret\n::error::injected",
	}}}
	var b bytes.Buffer
	if err := GitHub(&b, in, GitHubOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("one finding must be one line, got %d:\n%s", len(lines), out)
	}
	want := "::error col=1,file=evil%2Cfile=x%3A%3Aname%250A.json%0A%3A%3Aset-output name=x%3A%3Ay,line=1,title=test/error-rule::100%25 bad%0D%0A::add-mask::secret%0A::error::injected"
	if lines[0] != want {
		t.Errorf("got  %s\nwant %s", lines[0], want)
	}
}

func TestGitHubLimitKeepsANoticeSlot(t *testing.T) {
	var in Input
	for i := 0; i < 12; i++ {
		in.Findings = append(in.Findings, lint.Finding{Rule: "test/error-rule", Severity: lint.Info, File: "a.json", Line: i + 1, Column: 1, Message: "i"})
	}
	var b bytes.Buffer
	if err := GitHub(&b, in, GitHubOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "::notice"); n != MaxAnnotations {
		t.Errorf("%d notices, want %d (9 findings and the cut notice):\n%s", n, MaxAnnotations, b.String())
	}
	if !strings.Contains(b.String(), "3 more findings") {
		t.Errorf("cut notice missing:\n%s", b.String())
	}
}

func TestGitHubLimit(t *testing.T) {
	var in Input
	for i := 0; i < 25; i++ {
		in.Findings = append(in.Findings, lint.Finding{Rule: "test/error-rule", Severity: lint.Error, File: "a.json", Line: i + 1, Column: 1, Message: "m"})
	}
	for i := 0; i < 3; i++ {
		in.Findings = append(in.Findings, lint.Finding{Rule: "test/warning-rule", Severity: lint.Warning, File: "a.json", Line: i + 1, Column: 1, Message: "w"})
	}
	var b bytes.Buffer
	if err := GitHub(&b, in, GitHubOptions{SARIFHint: "secprof.sarif"}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := strings.Count(out, "::error "); n != MaxAnnotations {
		t.Errorf("%d error annotations, want %d", n, MaxAnnotations)
	}
	if n := strings.Count(out, "::warning "); n != 3 {
		t.Errorf("%d warning annotations, want 3", n)
	}
	if !strings.Contains(out, "::notice::secprof: 15 more findings were not annotated") || !strings.Contains(out, "secprof.sarif") {
		t.Errorf("cut not reported:\n%s", out)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestGitHubWriteErrorIsAnError(t *testing.T) {
	if err := GitHub(failingWriter{}, sampleInput(), GitHubOptions{}); err == nil {
		t.Fatal("want an error, not a panic or silence")
	}
}

func TestWriteFileAtomicLeavesNothingOnFailure(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.json")
	if err := os.WriteFile(p, []byte("previous"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteFileAtomic(p, func(w io.Writer) error {
		io.WriteString(w, "partial")
		return os.ErrInvalid
	})
	if err == nil {
		t.Fatal("want the writer's error")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary file left behind: %v", entries)
	}
	if b, _ := os.ReadFile(p); string(b) != "previous" {
		t.Errorf("previous report clobbered: %q", b)
	}
	if err := WriteFileAtomic(p, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("got %q", b)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "no", "such", "dir.json"), func(io.Writer) error { return nil }); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

// sarifSchema returns the official SARIF 2.1.0 JSON schema. It is not
// vendored: go-sarif ships it in its module, which the Go module proxy
// serves, so the test reads it from there.
func sarifSchema(t *testing.T) string {
	t.Helper()
	const mod = "github.com/owenrumney/go-sarif/v3@v3.2.3"
	cmd := exec.Command("go", "mod", "download", "-json", mod)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GO111MODULE=on")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fetching the SARIF schema through the Go module proxy (go mod download %s): %v\n%s", mod, err, out)
	}
	var info struct{ Dir string }
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		t.Fatalf("go mod download: %v: %s", err, out)
	}
	src, err := os.ReadFile(filepath.Join(info.Dir, "pkg/report/v210/sarif/schema.go"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	start := strings.Index(s, "`")
	end := strings.LastIndex(s, "`")
	if start < 0 || end <= start {
		t.Fatal("schema not found in go-sarif's schema.go")
	}
	return s[start+1 : end]
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	var b bytes.Buffer
	if err := SARIF(&b, sampleInput()); err != nil {
		t.Fatal(err)
	}
	res, err := gojsonschema.Validate(gojsonschema.NewStringLoader(sarifSchema(t)), gojsonschema.NewBytesLoader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors() {
		t.Errorf("SARIF schema: %s", e)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
					}
				}
				PartialFingerprints map[string]string
			}
		}
	}
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	r := log.Runs[0].Results[0]
	if uri := r.Locations[0].PhysicalLocation.ArtifactLocation.URI; uri != "fixtures/odd%20name%20%25.json" {
		t.Errorf("uri %q is not an escaped relative reference", uri)
	}
	if len(r.PartialFingerprints) == 0 {
		t.Error("no partialFingerprints")
	}
}

func TestFingerprintSurvivesLineMoves(t *testing.T) {
	a := lint.NewFile("p.json", []byte("{\n  \"x\": 1\n}\n"))
	b := lint.NewFile("p.json", []byte("{\n\n\n  \"x\": 1\n}\n"))
	fa := lint.Finding{Rule: "test/error-rule", File: "p.json", Line: 2}
	fb := lint.Finding{Rule: "test/error-rule", File: "p.json", Line: 4}
	if fingerprint(a, fa) != fingerprint(b, fb) {
		t.Error("fingerprint changed when the line moved")
	}
}
