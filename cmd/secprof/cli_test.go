package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var secprofBin string

// TestMain builds the real binary once: the CLI is tested the way users
// run it, exit codes included.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "secprof-cli-test")
	if err != nil {
		panic(err)
	}
	secprofBin = filepath.Join(dir, "secprof")
	out, err := exec.Command("go", "build", "-o", secprofBin, ".").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

func secprof(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(secprofBin, args...)
	cmd.Dir = dir
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{o.String(), e.String(), code}
}

func workspace(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const goodProfile = `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "syscalls": [
    {"names": ["read", "write", "exit", "exit_group", "execve", "brk", "mmap", "futex", "rt_sigreturn"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
  ]
}
`

const auditProfile = `{
  "defaultAction": "SCMP_ACT_LOG"
}
`

func TestLintExitCodes(t *testing.T) {
	dir := workspace(t, map[string]string{
		"good.json":  goodProfile,
		"audit.json": auditProfile,
		"junk.json":  "{ not json",
		"notes.txt":  "hello",
	})
	if r := secprof(t, dir, "lint", "good.json"); r.code != 0 {
		t.Errorf("clean profile: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// audit.json is a warning: exit 0 by default, 1 with --fail-on warning
	if r := secprof(t, dir, "lint", "audit.json"); r.code != 0 || !strings.Contains(r.stdout, "[seccomp/log-by-default]") {
		t.Errorf("audit: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := secprof(t, dir, "lint", "--fail-on", "warning", "audit.json"); r.code != 1 {
		t.Errorf("--fail-on warning: exit %d", r.code)
	}
	if r := secprof(t, dir, "lint", "--fail-on", "never", "-v", "."); r.code != 0 || !strings.Contains(r.stderr, "notes.txt: skipped") {
		t.Errorf("--fail-on never -v: exit %d\n%s", r.code, r.stderr)
	}
	if r := secprof(t, dir, "lint", "missing.json"); r.code != 2 || !strings.Contains(r.stderr, "missing.json") {
		t.Errorf("missing file: exit %d %q", r.code, r.stderr)
	}
	if r := secprof(t, dir, "lint", "--format", "xml"); r.code != 2 {
		t.Errorf("bad format: exit %d", r.code)
	}
	if r := secprof(t, dir, "lint", "--disable", "no/such-rule"); r.code != 2 {
		t.Errorf("unknown rule: exit %d", r.code)
	}
	if r := secprof(t, dir, "lint", "/etc/hostname"); r.code != 2 || !strings.Contains(r.stderr, "outside the workspace") {
		t.Errorf("outside workspace: exit %d %q", r.code, r.stderr)
	}
}

func TestLintMalformedIsAFindingWithPosition(t *testing.T) {
	dir := workspace(t, map[string]string{"junk.json": "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [,]\n}\n"})
	r := secprof(t, dir, "lint", "--format", "json", "junk.json")
	if r.code != 1 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var doc struct {
		Findings []struct {
			Rule         string
			Line, Column int
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Findings) != 1 || doc.Findings[0].Rule != "seccomp/parse" || doc.Findings[0].Line != 3 || doc.Findings[0].Column != 16 {
		t.Errorf("got %+v", doc.Findings)
	}
}

func TestLintOutputFileAndConfig(t *testing.T) {
	dir := workspace(t, map[string]string{
		"p/audit.json":  auditProfile,
		".secprof.yaml": "lint:\n  severity:\n    seccomp/log-by-default: error\n",
	})
	r := secprof(t, dir, "lint", "--output", "out/report.sarif", "--format", "sarif", "p")
	if r.code != 1 {
		t.Fatalf("severity override to error must fail: exit %d %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "out/report.sarif"))
	if err != nil || !bytes.Contains(b, []byte(`"ruleId": "seccomp/log-by-default"`)) || !bytes.Contains(b, []byte(`"level": "error"`)) {
		t.Errorf("sarif report: %v\n%s", err, b)
	}
	if r.stdout != "" {
		t.Errorf("stdout must stay empty with --output: %q", r.stdout)
	}
	// an unknown key in the config is a usage error naming file and line
	os.WriteFile(filepath.Join(dir, ".secprof.yaml"), []byte("lint:\n  failon: error\n"), 0o644)
	r = secprof(t, dir, "lint", "p")
	if r.code != 2 || !strings.Contains(r.stderr, ".secprof.yaml: line 2: field failon not found") {
		t.Errorf("exit %d %q", r.code, r.stderr)
	}
}

func TestLintOutputNotWrittenOnError(t *testing.T) {
	dir := workspace(t, map[string]string{"a.json": auditProfile})
	r := secprof(t, dir, "lint", "--output", "report.json", "--format", "json", "a.json", "missing.json")
	if r.code != 2 {
		t.Fatalf("exit %d", r.code)
	}
	if _, err := os.Stat(filepath.Join(dir, "report.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a report was written although the run failed: %v", err)
	}
}

func TestRulesAndSchema(t *testing.T) {
	dir := t.TempDir()
	r := secprof(t, dir, "rules")
	if r.code != 0 || !strings.Contains(r.stdout, "seccomp/parse") {
		t.Errorf("rules: %d %s", r.code, r.stdout)
	}
	r = secprof(t, dir, "rules", "seccomp/log-by-default")
	if r.code != 0 || !strings.Contains(r.stdout, "## Bad") {
		t.Errorf("rules ID: %d %s", r.code, r.stdout)
	}
	if r := secprof(t, dir, "rules", "nope/nope"); r.code != 2 {
		t.Errorf("unknown rule: %d", r.code)
	}
	r = secprof(t, dir, "schema", "seccomp")
	var v map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &v) != nil {
		t.Errorf("schema seccomp: %d %.200s", r.code, r.stdout)
	}
	if r := secprof(t, dir, "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "secprof ") {
		t.Errorf("version: %q", r.stdout)
	}
}
