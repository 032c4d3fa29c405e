package ghaction

// This file runs action.yml outside GitHub, the way a runner would, with a
// simulated GITHUB_* environment, and checks the files the action writes.
//
// How the simulation works, and where it differs from GitHub:
//   - The composite steps are read from action.yml and run in order. A
//     `run:` step is executed as written, with bash --noprofile --norc -eo
//     pipefail (GitHub's bash), in GITHUB_WORKSPACE, with a fresh
//     GITHUB_OUTPUT and GITHUB_STEP_SUMMARY file per step.
//   - `${{ }}` expressions are evaluated by a tiny evaluator that knows only
//     what action.yml uses: inputs.NAME (the test's value, else the
//     input's default), steps.ID.outputs.NAME, github.action_path (the
//     repository), github.action_ref ("" as for `uses: ./`), and in `if:`
//     comparisons of those with '…' literals joined by &&. Anything else
//     fails the test, so action.yml cannot grow an expression this
//     simulation would silently get wrong. Expressions are only allowed in
//     `env:`, `with:` and `if:` — never inside a script.
//   - The two third-party actions are simulated: actions/cache restores the
//     directory saved under the same key by an earlier run of this test
//     (cache-hit=true) and saves it after the run when it missed;
//     actions/setup-go checks its go-version-file and relies on the go
//     already on PATH. Any other `uses:` fails the test.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

type actionFile struct {
	Name   string `yaml:"name"`
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Required    bool   `yaml:"required"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionStep struct {
	ID    string            `yaml:"id"`
	If    string            `yaml:"if"`
	Shell string            `yaml:"shell"`
	Run   string            `yaml:"run"`
	Uses  string            `yaml:"uses"`
	Env   map[string]string `yaml:"env"`
	With  map[string]string `yaml:"with"`
}

func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("../../../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "action.yml")); err != nil {
		t.Fatalf("repository root not found: %v", err)
	}
	return root
}

func loadAction(t testing.TB) *actionFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return &a
}

// simulator runs action.yml; cache persists across runs.
type simulator struct {
	t        *testing.T
	root     string
	action   *actionFile
	cache    map[string]string // key → saved copy of the path
	cacheDir string
	toolDir  string
}

// run is the outcome of one simulated use of the action.
type run struct {
	outputs map[string]string            // the action's outputs
	steps   map[string]map[string]string // step id → outputs
	logs    map[string]string            // step id → stdout+stderr
	summary map[string]string            // step id → job summary
	failed  string                       // id of the step that failed
	code    int                          // its exit code
	skipped []string                     // steps whose if: was false
}

var exprRe = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

func (s *simulator) eval(expr string, inputs map[string]string, steps map[string]map[string]string) string {
	s.t.Helper()
	switch {
	case strings.HasPrefix(expr, "inputs."):
		name := strings.TrimPrefix(expr, "inputs.")
		in, ok := s.action.Inputs[name]
		if !ok {
			s.t.Fatalf("action.yml uses undeclared input %q", name)
		}
		if v, ok := inputs[name]; ok {
			return v
		}
		return in.Default
	case strings.HasPrefix(expr, "steps."):
		parts := strings.Split(expr, ".")
		if len(parts) != 4 || parts[2] != "outputs" {
			s.t.Fatalf("unsupported expression %q", expr)
		}
		return steps[parts[1]][parts[3]]
	case expr == "github.action_path":
		return s.root
	case expr == "github.action_ref":
		return ""
	}
	s.t.Fatalf("the simulation does not know the expression %q; extend it (and its documentation) deliberately", expr)
	return ""
}

func (s *simulator) expand(v string, inputs map[string]string, steps map[string]map[string]string) string {
	return exprRe.ReplaceAllStringFunc(v, func(m string) string {
		return s.eval(exprRe.FindStringSubmatch(m)[1], inputs, steps)
	})
}

var condRe = regexp.MustCompile(`^([a-z][a-z0-9_.-]*)\s*(==|!=)\s*'([^']*)'$`)

func (s *simulator) cond(c string, inputs map[string]string, steps map[string]map[string]string) bool {
	s.t.Helper()
	if c == "" {
		return true
	}
	c = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(c), "${{"), "}}"))
	for _, part := range strings.Split(c, "&&") {
		m := condRe.FindStringSubmatch(strings.TrimSpace(part))
		if m == nil {
			s.t.Fatalf("unsupported if: %q", c)
		}
		v := s.eval(m[1], inputs, steps)
		if (v == m[3]) != (m[2] == "==") {
			return false
		}
	}
	return true
}

// env is the process environment of a step: this process's, without
// anything GitHub-specific, plus the simulated runner variables.
func (s *simulator) baseEnv(ws, tmp string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GITHUB_") || strings.HasPrefix(k, "INPUT_") || strings.HasPrefix(k, "RUNNER_") || k == "CI" || k == "ImageOS" {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"CI=true", "GITHUB_ACTIONS=true",
		"GITHUB_WORKSPACE="+ws,
		"GITHUB_ACTION_PATH="+s.root,
		"RUNNER_TEMP="+tmp,
		"RUNNER_TOOL_CACHE="+s.toolDir,
		"RUNNER_OS=Linux", "RUNNER_ARCH=X64", "ImageOS=secprof-test",
	)
}

func (s *simulator) use(ws string, inputs map[string]string) *run {
	t := s.t
	t.Helper()
	tmp := t.TempDir()
	r := &run{steps: map[string]map[string]string{}, logs: map[string]string{}, summary: map[string]string{}, outputs: map[string]string{}}
	var saves []func()
	for i, st := range s.action.Runs.Steps {
		id := st.ID
		if id == "" {
			id = fmt.Sprintf("__step%d", i)
		}
		if !s.cond(st.If, inputs, r.steps) {
			r.skipped = append(r.skipped, id)
			continue
		}
		with := map[string]string{}
		for k, v := range st.With {
			with[k] = s.expand(v, inputs, r.steps)
		}
		switch {
		case strings.HasPrefix(st.Uses, "actions/cache@"):
			key, path := with["key"], with["path"]
			if key == "" || path == "" {
				t.Fatalf("actions/cache without key or path: %v", with)
			}
			if saved, ok := s.cache[key]; ok {
				copyTree(t, saved, path)
				r.steps[id] = map[string]string{"cache-hit": "true"}
			} else {
				r.steps[id] = map[string]string{"cache-hit": "false"}
				// the post step saves the path when the job ends
				saves = append(saves, func() {
					dst := filepath.Join(s.cacheDir, fmt.Sprint(len(s.cache)))
					copyTree(t, path, dst)
					s.cache[key] = dst
				})
			}
			continue
		case strings.HasPrefix(st.Uses, "actions/setup-go@"):
			if _, err := os.Stat(with["go-version-file"]); err != nil {
				t.Fatalf("setup-go go-version-file: %v", err)
			}
			if _, err := exec.LookPath("go"); err != nil {
				t.Fatal("go is not on PATH")
			}
			r.steps[id] = map[string]string{}
			continue
		case st.Uses != "":
			t.Fatalf("the simulation does not know the action %q", st.Uses)
		}
		if st.Shell != "bash" {
			t.Fatalf("step %s: shell %q, want bash", id, st.Shell)
		}
		if exprRe.MatchString(st.Run) {
			t.Fatalf("step %s: ${{ }} inside a script: inputs must reach scripts through env", id)
		}
		script := filepath.Join(tmp, id+".sh")
		if err := os.WriteFile(script, []byte(st.Run), 0o644); err != nil {
			t.Fatal(err)
		}
		outFile, sumFile := filepath.Join(tmp, id+".output"), filepath.Join(tmp, id+".summary")
		env := append(s.baseEnv(ws, tmp), "GITHUB_OUTPUT="+outFile, "GITHUB_STEP_SUMMARY="+sumFile)
		keys := make([]string, 0, len(st.Env))
		for k := range st.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			env = append(env, k+"="+s.expand(st.Env[k], inputs, r.steps))
		}
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
		cmd.Dir = ws
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		r.logs[id] = string(out)
		if b, err := os.ReadFile(outFile); err == nil {
			r.steps[id] = parseFileCommands(t, b)
		} else {
			r.steps[id] = map[string]string{}
		}
		if b, err := os.ReadFile(sumFile); err == nil {
			r.summary[id] = string(b)
		}
		if err != nil {
			ee, ok := err.(*exec.ExitError)
			if !ok {
				t.Fatal(err)
			}
			r.failed, r.code = id, ee.ExitCode()
			break
		}
	}
	// Post steps run whatever happened; GitHub saves caches only after
	// a successful job, which is when this test reads them.
	if r.failed == "" {
		for _, save := range saves {
			save()
		}
	}
	for name, o := range s.action.Outputs {
		r.outputs[name] = s.expand(o.Value, inputs, r.steps)
	}
	return r
}

// snapshotSource copies the files git tracks or would track (no build
// outputs) to a new directory.
func snapshotSource(t *testing.T, root string) string {
	t.Helper()
	dst := t.TempDir()
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		// not a git checkout: the tree is the source
		copyTree(t, root, dst)
		return dst
	}
	for _, f := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, f)
		st, err := os.Lstat(src)
		if err != nil || !st.Mode().IsRegular() {
			continue // deleted in the work tree, or a link
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dst, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, st.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A workspace: a git repository whose commit "base" holds a strict
// profile that the work tree loosens, a profile that cannot start any
// container, a clean one, and a subdirectory.
func actionWorkspace(t *testing.T) string {
	t.Helper()
	ws := t.TempDir()
	files := map[string]string{
		"profiles/app.json":       `{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],"syscalls":[{"names":["read","write","exit","exit_group","execve","futex","brk","mmap","rt_sigreturn"],"action":"SCMP_ACT_ALLOW"}]}`,
		"profiles/violation.json": `{"defaultAction":"SCMP_ACT_ERRNO"}`,
		"sub/README.md":           "not a profile\n",
	}
	for name, content := range files {
		p := filepath.Join(ws, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitRun := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", ws}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+ws)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	gitRun("init", "-q", "-b", "main")
	gitRun("add", "-A")
	gitRun("commit", "-q", "-m", "base")
	gitRun("tag", "base")
	loosened := strings.Replace(files["profiles/app.json"], `"rt_sigreturn"]`, `"rt_sigreturn","ptrace"]`, 1)
	if err := os.WriteFile(filepath.Join(ws, "profiles/app.json"), []byte(loosened), 0o644); err != nil {
		t.Fatal(err)
	}
	return ws
}

var (
	simOnce sync.Once
	simBin  string
)

// TestActionYAML runs action.yml as GitHub would on a cold cache, then on
// a warm one, then with inputs that must fail, and checks every file the
// action writes: outputs, job summary, SARIF, the annotations in the log.
func TestActionYAML(t *testing.T) {
	root := repoRoot(t)
	a := loadAction(t)
	if a.Runs.Using != "composite" {
		t.Fatalf("runs.using %q", a.Runs.Using)
	}
	// action.yml declares exactly the inputs and outputs the code knows.
	var declared []string
	for n := range a.Inputs {
		declared = append(declared, n)
	}
	sort.Strings(declared)
	known := append([]string(nil), InputNames...)
	sort.Strings(known)
	if strings.Join(declared, " ") != strings.Join(known, " ") {
		t.Errorf("action.yml inputs %v, ghaction.InputNames %v", declared, known)
	}
	var outs []string
	for n, o := range a.Outputs {
		outs = append(outs, n)
		if o.Value != "${{ steps.run.outputs."+n+" }}" {
			t.Errorf("output %s: value %q", n, o.Value)
		}
	}
	sort.Strings(outs)
	wantOuts := OutputNames()
	sort.Strings(wantOuts)
	if strings.Join(outs, " ") != strings.Join(wantOuts, " ") {
		t.Errorf("action.yml outputs %v, ghaction outputs %v", outs, wantOuts)
	}
	// Every input reaches the run step as INPUT_<NAME>, by its own name.
	var runStep *actionStep
	for i := range a.Runs.Steps {
		if a.Runs.Steps[i].ID == "run" {
			runStep = &a.Runs.Steps[i]
		}
	}
	if runStep == nil {
		t.Fatal("no step with id run")
	}
	for _, n := range InputNames {
		if got := runStep.Env["INPUT_"+strings.ToUpper(n)]; got != "${{ inputs."+n+" }}" {
			t.Errorf("run step: INPUT_%s = %q", strings.ToUpper(n), got)
		}
	}
	// Third-party actions are pinned by a full commit SHA.
	pinned := regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)
	for _, st := range a.Runs.Steps {
		if st.Uses != "" && !pinned.MatchString(st.Uses) {
			t.Errorf("%q is not pinned by commit", st.Uses)
		}
	}

	// The action runs from a snapshot of the source, as GitHub runs it
	// from a tarball of the ref: no .git, and no edit made to the work tree
	// while the test runs can change the cache key between two runs.
	sim := &simulator{t: t, root: snapshotSource(t, root), action: a, cache: map[string]string{}, cacheDir: t.TempDir(), toolDir: t.TempDir()}
	ws := actionWorkspace(t)
	inputs := map[string]string{"paths": "profiles", "fail-on": "never", "format": "text", "diff-base": "base"}

	var cold *run
	t.Run("cold cache builds", func(t *testing.T) {
		sim.t = t
		cold = sim.use(ws, inputs)
		if cold.failed != "" {
			t.Fatalf("step %s failed (%d):\n%s", cold.failed, cold.code, cold.logs[cold.failed])
		}
		if len(cold.skipped) != 0 {
			t.Errorf("steps skipped on a cold cache: %v", cold.skipped)
		}
		if !strings.Contains(cold.logs["build"], "secprof: built secprof devel") {
			t.Errorf("build log:\n%s", cold.logs["build"])
		}
		t.Logf("build step: %s", strings.TrimSpace(cold.logs["build"]))
		bin := cold.steps["key"]["bin"]
		if !strings.HasPrefix(bin, sim.toolDir+"/secprof/") {
			t.Errorf("binary at %s, want under RUNNER_TOOL_CACHE", bin)
		}
		if _, err := os.Stat(bin); err != nil {
			t.Fatal(err)
		}
		simOnce.Do(func() {
			// keep a copy for the other tests of the package
			dst, err := os.MkdirTemp("", "secprof-actionyml")
			if err != nil {
				t.Fatal(err)
			}
			tempDirs = append(tempDirs, dst)
			copyTree(t, filepath.Dir(bin), dst)
			simBin = filepath.Join(dst, "secprof")
		})
		checkRun(t, cold, ws, bin)
	})
	if cold == nil || cold.failed != "" {
		return
	}

	t.Run("warm cache reuses the build", func(t *testing.T) {
		sim.t = t
		// the cached binary comes back from the cache, not from the
		// tool directory of the earlier run
		if err := os.RemoveAll(filepath.Join(sim.toolDir, "secprof")); err != nil {
			t.Fatal(err)
		}
		warm := sim.use(ws, inputs)
		if warm.failed != "" {
			t.Fatalf("step %s failed:\n%s", warm.failed, warm.logs[warm.failed])
		}
		if warm.steps["cache"]["cache-hit"] != "true" {
			t.Errorf("no cache hit: %v", warm.steps["cache"])
		}
		if len(warm.skipped) != 1 {
			t.Errorf("skipped %v, want only setup-go", warm.skipped)
		}
		if !strings.Contains(warm.logs["build"], "using the cached build") {
			t.Errorf("build log:\n%s", warm.logs["build"])
		}
		for _, k := range []string{"findings", "errors", "warnings", "diff-high"} {
			if warm.outputs[k] != cold.outputs[k] {
				t.Errorf("output %s: %q warm, %q cold", k, warm.outputs[k], cold.outputs[k])
			}
		}
	})

	t.Run("fail-on error fails the step but writes the outputs", func(t *testing.T) {
		sim.t = t
		r := sim.use(ws, map[string]string{"paths": "profiles/violation.json"})
		if r.failed != "run" || r.code != 1 {
			t.Fatalf("failed step %q code %d, want run/1:\n%s", r.failed, r.code, r.logs["run"])
		}
		if r.outputs["errors"] == "" || r.outputs["errors"] == "0" {
			t.Errorf("outputs %v", r.outputs)
		}
		if !strings.Contains(r.logs["run"], "::error ") {
			t.Errorf("no error annotation in the log:\n%s", r.logs["run"])
		}
		if !strings.Contains(r.summary["run"], "❌") {
			t.Errorf("summary does not show the failure:\n%s", r.summary["run"])
		}
	})

	t.Run("working-directory", func(t *testing.T) {
		sim.t = t
		r := sim.use(ws, map[string]string{"working-directory": "profiles", "paths": "app.json", "fail-on": "never"})
		if r.failed != "" {
			t.Fatalf("step %s failed:\n%s", r.failed, r.logs[r.failed])
		}
		// paths in annotations stay relative to the workspace root
		if !strings.Contains(r.logs["run"], "file=profiles/app.json") && r.outputs["findings"] != "0" {
			t.Errorf("annotation paths not relative to the workspace:\n%s", r.logs["run"])
		}
		for _, bad := range []string{"..", "../..", "/etc", "sub/../.."} {
			r := sim.use(ws, map[string]string{"working-directory": bad})
			if r.failed != "run" || r.code != 2 || !strings.Contains(r.logs["run"], "::error::secprof: working-directory") {
				t.Errorf("working-directory %q: failed %q code %d\n%s", bad, r.failed, r.code, r.logs["run"])
			}
		}
		r = sim.use(ws, map[string]string{"paths": "/etc/passwd"})
		if r.failed != "run" || r.code != 2 || !strings.Contains(r.logs["run"], "outside the workspace") {
			t.Errorf("path outside the workspace: failed %q code %d\n%s", r.failed, r.code, r.logs["run"])
		}
	})

	t.Run("bad inputs", func(t *testing.T) {
		sim.t = t
		r := sim.use(ws, map[string]string{"fail-on": "sometimes", "test": "maybe"})
		if r.failed != "run" || r.code != 2 {
			t.Fatalf("failed %q code %d", r.failed, r.code)
		}
		for _, want := range []string{`::error::secprof: input fail-on: "sometimes" is not one of`, `::error::secprof: input test: "maybe" is not a boolean`} {
			if !strings.Contains(r.logs["run"], want) {
				t.Errorf("log lacks %q:\n%s", want, r.logs["run"])
			}
		}
		r = sim.use(ws, map[string]string{"version": "v9.9.9"})
		if r.failed != "run" || r.code != 2 || !strings.Contains(r.logs["run"], "version v9.9.9 was asked for, but this action's source builds devel") {
			t.Errorf("version mismatch: failed %q code %d\n%s", r.failed, r.code, r.logs["run"])
		}
		r = sim.use(ws, map[string]string{"diff-base": "--output=/tmp/pwned"})
		if r.failed != "run" || r.code != 2 || !strings.Contains(r.logs["run"], "starts with '-'") {
			t.Errorf("hostile diff-base: failed %q code %d\n%s", r.failed, r.code, r.logs["run"])
		}
	})
}

// checkRun compares what the action wrote with what `secprof lint` and
// `secprof diff` report on the same workspace.
func checkRun(t *testing.T, r *run, ws, bin string) {
	t.Helper()
	lintJSON := exec.Command(bin, "lint", "--format", "json", "--fail-on", "never", "profiles")
	lintJSON.Dir = ws
	out, err := lintJSON.Output()
	if err != nil {
		t.Fatalf("secprof lint: %v", err)
	}
	var lr struct {
		Findings []struct{ Rule, Severity, File string }
		Summary  struct{ Findings, Errors, Warnings int }
	}
	if err := json.Unmarshal(out, &lr); err != nil {
		t.Fatal(err)
	}
	if lr.Summary.Errors == 0 {
		t.Fatalf("the fixture should have errors (violation.json): %s", out)
	}
	want := map[string]string{
		"findings": fmt.Sprint(lr.Summary.Findings), "errors": fmt.Sprint(lr.Summary.Errors), "warnings": fmt.Sprint(lr.Summary.Warnings),
		"tests-passed": "", "tests-failed": "", "junit-file": "",
	}
	for k, v := range want {
		if r.outputs[k] != v {
			t.Errorf("output %s = %q, want %q", k, r.outputs[k], v)
		}
	}
	// diff-base: ptrace newly allowed in profiles/app.json is high risk.
	if r.outputs["diff-high"] != "1" {
		t.Errorf("diff-high = %q, want 1", r.outputs["diff-high"])
	}

	// SARIF: where the output says, with every finding.
	sarif := r.outputs["sarif-file"]
	if filepath.Dir(sarif) == "" || !strings.HasSuffix(sarif, "/secprof/secprof.sarif") {
		t.Errorf("sarif-file %q", sarif)
	}
	b, err := os.ReadFile(sarif)
	if err != nil {
		t.Fatal(err)
	}
	var sr struct {
		Version string
		Runs    []struct{ Results []json.RawMessage }
	}
	if err := json.Unmarshal(b, &sr); err != nil || sr.Version != "2.1.0" || len(sr.Runs) != 1 || len(sr.Runs[0].Results) != lr.Summary.Findings {
		t.Errorf("SARIF: version %q, %d runs, err %v", sr.Version, len(sr.Runs), err)
	}

	// Log: a group per part, the text report shielded by stop-commands,
	// one annotation per finding.
	log := r.logs["run"]
	for _, want := range []string{"::group::secprof lint", "::endgroup::", "::stop-commands::secprof-", "::group::secprof diff base"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	cmds := workflowCommands(t, log)
	ann := 0
	for _, c := range cmds {
		if (c.name == "error" || c.name == "warning" || c.name == "notice") && c.props["file"] != "" {
			ann++
		}
	}
	if ann != lr.Summary.Findings {
		t.Errorf("%d annotations for %d findings", ann, lr.Summary.Findings)
	}

	// Summary: lint table, diff section.
	sum := r.summary["run"]
	for _, want := range []string{"## secprof devel", "### Lint", "| File | Rule | Severity | Findings | Lines |", `profiles\/violation\.json`, "### Profile changes since base", "ptrace is now allowed"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
}
