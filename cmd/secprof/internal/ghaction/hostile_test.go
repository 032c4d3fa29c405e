package ghaction

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// tempDirs are removed after all tests: binaries shared between tests.
var tempDirs []string

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range tempDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// secprofBinary returns the binary TestActionYAML built through action.yml,
// or builds one when that test did not run (go test -run).
func secprofBinary(t *testing.T) string {
	t.Helper()
	if simBin != "" {
		return simBin
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "secprof-ghaction-test")
		if err != nil {
			buildErr = err
			return
		}
		tempDirs = append(tempDirs, dir)
		builtBin = filepath.Join(dir, "secprof")
		out, err := exec.Command("go", "build", "-o", builtBin, filepath.Join(repoRoot(t), "cmd/secprof")).CombinedOutput()
		if err != nil {
			buildErr = &buildError{err, out}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + string(e.out) }

// wfCommand is a workflow command as the runner sees it.
type wfCommand struct {
	name  string
	props map[string]string
	msg   string
}

// runnerLines splits output into lines as the runner's .NET reader does:
// at \n, \r\n, and a lone \r.
func runnerLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
}

func unescapeData(s string) string {
	return strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%").Replace(s)
}

func unescapeProp(s string) string {
	return strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%").Replace(s)
}

// workflowCommands parses a step's output the way the runner does: a line
// that starts (after white space, to be strict) with "::" is a command
// "::name key=value,…::message"; ::stop-commands::TOKEN suspends parsing
// until a line "::TOKEN::".
func workflowCommands(t *testing.T, out string) []wfCommand {
	t.Helper()
	var cmds []wfCommand
	stopped := ""
	for _, line := range runnerLines(out) {
		l := strings.TrimSpace(line)
		if stopped != "" {
			if l == "::"+stopped+"::" {
				stopped = ""
			}
			continue
		}
		if !strings.HasPrefix(l, "::") {
			continue
		}
		rest := l[2:]
		head, msg, ok := strings.Cut(rest, "::")
		if !ok {
			continue
		}
		name, propStr, _ := strings.Cut(head, " ")
		c := wfCommand{name: name, props: map[string]string{}, msg: unescapeData(msg)}
		if propStr != "" {
			for _, kv := range strings.Split(propStr, ",") {
				k, v, _ := strings.Cut(kv, "=")
				c.props[k] = unescapeProp(v)
			}
		}
		if name == "stop-commands" {
			stopped = msg
		}
		cmds = append(cmds, c)
	}
	if stopped != "" {
		t.Errorf("commands stopped with %q and never resumed", stopped)
	}
	return cmds
}

func TestWorkflowCommandParser(t *testing.T) {
	cmds := workflowCommands(t, "x\n::warning file=a%2Cb,line=3::m%0Ax\r::add-mask::s\r\n  ::stop-commands::tok\n::error::hidden\n::tok::\n::notice::after")
	var got []string
	for _, c := range cmds {
		got = append(got, c.name+"|"+c.props["file"]+"|"+c.msg)
	}
	want := "warning|a,b|m\nx add-mask||s stop-commands||tok notice||after"
	if strings.Join(got, " ") != want {
		t.Errorf("parsed %q\nwant   %q", strings.Join(got, " "), want)
	}
}

// hostileNames are file names and syscall names a pull request could
// commit to smuggle workflow commands into the log.
var hostileNames = []string{
	"evil\n::error file=pwned.json,line=1::injected.json",
	"cr\r::add-mask::secret.json",
	"pct%0A::warning::pct.json",
	"colons::set-output name=x::y.json",
	"comma,line=99,title=fake.json",
}

// TestHostileNamesCannotInjectCommands lints files with hostile names
// whose content also carries hostile strings, through `secprof action` in
// every format, and parses its output as the runner would: the only
// commands are the action's own, and every annotation names a real file.
func TestHostileNamesCannotInjectCommands(t *testing.T) {
	bin := secprofBinary(t)
	ws := t.TempDir()
	real := map[string]bool{}
	for i, name := range hostileNames {
		dir := filepath.Join(ws, "profiles")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		// an unknown syscall name is quoted in messages; the default
		// action makes an error-level finding
		body, _ := json.Marshal(map[string]any{
			"defaultAction": "SCMP_ACT_ALLOW",
			"syscalls": []any{map[string]any{
				"names":  []string{"ptracee\n::error::from-message", "x\r::add-mask::m" + string(rune('a'+i)), "%0A::warning::pct"},
				"action": "SCMP_ACT_ERRNO",
			}},
		})
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
		real["profiles/"+name] = true
	}
	for _, format := range FormatValues {
		t.Run(format, func(t *testing.T) {
			tmp := t.TempDir()
			cmd := exec.Command(bin, "action")
			cmd.Dir = ws
			cmd.Env = append(os.Environ(),
				"GITHUB_WORKSPACE="+ws, "RUNNER_TEMP="+tmp,
				"GITHUB_OUTPUT="+filepath.Join(tmp, "output"), "GITHUB_STEP_SUMMARY="+filepath.Join(tmp, "summary"),
				"INPUT_PATHS=profiles", "INPUT_FORMAT="+format, "INPUT_FAIL-ON=never")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v\n%s%s", err, stdout.String(), stderr.String())
			}
			if stderr.Len() > 0 {
				// stderr is parsed for commands too
				for _, c := range workflowCommands(t, stderr.String()) {
					t.Errorf("command on stderr: %+v", c)
				}
			}
			annotated := map[string]bool{}
			for _, c := range workflowCommands(t, stdout.String()) {
				switch {
				case c.name == "group" || c.name == "endgroup" || c.name == "stop-commands" || strings.HasPrefix(c.name, "secprof-"):
				case c.name == "error" || c.name == "warning" || c.name == "notice":
					if f := c.props["file"]; f != "" {
						if !real[f] {
							t.Errorf("annotation for a file that does not exist: %q (%+v)", f, c)
						}
						annotated[f] = true
						if c.props["title"] == "" || !strings.Contains(c.props["title"], "/") {
							t.Errorf("annotation title %q is not a rule ID", c.props["title"])
						}
					} else if !strings.HasPrefix(c.msg, "secprof: ") {
						t.Errorf("unexpected annotation without a file: %+v", c)
					}
					if c.msg == "injected.json" || c.msg == "from-message" || c.msg == "pct" || c.msg == "y.json" {
						t.Errorf("injected annotation: %+v", c)
					}
				default:
					t.Errorf("injected command %q: %+v", c.name, c)
				}
			}
			for f := range real {
				if !annotated[f] {
					t.Errorf("no annotation for %q", f)
				}
			}
			// The hostile strings survive inside the messages.
			inMsg := false
			for _, c := range workflowCommands(t, stdout.String()) {
				inMsg = inMsg || (c.name == "error" && strings.Contains(c.msg, "::error::from-message"))
			}
			if !inMsg {
				t.Errorf("hostile message text lost:\n%s", stdout.String())
			}
			sum, _ := os.ReadFile(filepath.Join(tmp, "summary"))
			if bytes.Contains(sum, []byte("\n::error")) || bytes.Contains(sum, []byte("\r")) {
				t.Errorf("summary carries raw hostile text")
			}
		})
	}
}

// More findings than GitHub shows: annotations stop at the limit per
// severity, the log says how many were cut and where the rest is, and the
// summary says it too.
func TestAnnotationLimitEndToEnd(t *testing.T) {
	bin := secprofBinary(t)
	ws := t.TempDir()
	for i := 0; i < 14; i++ {
		p := filepath.Join(ws, "p", "deny-list-"+string(rune('a'+i))+".json")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(`{"defaultAction":"SCMP_ACT_ALLOW"}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tmp := t.TempDir()
	cmd := exec.Command(bin, "action")
	cmd.Dir = ws
	cmd.Env = append(os.Environ(), "GITHUB_WORKSPACE="+ws, "RUNNER_TEMP="+tmp,
		"GITHUB_OUTPUT="+filepath.Join(tmp, "output"), "GITHUB_STEP_SUMMARY="+filepath.Join(tmp, "summary"),
		"INPUT_PATHS=p", "INPUT_FAIL-ON=never")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	perSev := map[string]int{}
	cutNotes := 0
	for _, c := range workflowCommands(t, string(out)) {
		if c.props["file"] != "" {
			perSev[c.name]++
		} else if strings.Contains(c.msg, "more findings were not annotated") {
			cutNotes++
		}
	}
	outputs := parseFileCommands(t, mustRead(t, filepath.Join(tmp, "output")))
	total := 0
	for _, k := range []string{"findings"} {
		for _, ch := range outputs[k] {
			total = total*10 + int(ch-'0')
		}
	}
	shown := 0
	for sev, n := range perSev {
		if n > 10 {
			t.Errorf("%d %s annotations, more than GitHub shows", n, sev)
		}
		shown += n
	}
	if total <= shown {
		t.Fatalf("fixture too small: %d findings, %d shown", total, shown)
	}
	if cutNotes != 1 {
		t.Errorf("%d notes on cut annotations, want 1", cutNotes)
	}
	sum := string(mustRead(t, filepath.Join(tmp, "summary")))
	if !strings.Contains(sum, "[!WARNING]") || !strings.Contains(sum, "got no annotation") || !strings.Contains(sum, "secprof\\.sarif") {
		t.Errorf("summary does not explain the cut:\n%s", sum)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
