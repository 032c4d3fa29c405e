package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sethvargo/go-githubactions"
	"github.com/spf13/cobra"

	"github.com/secprof/secprof/cmd/secprof/internal/ghaction"
	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/harness"
	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/profdiff"
	"github.com/secprof/secprof/lint/report"
	"github.com/secprof/secprof/lint/seccomp"
)

func init() {
	rootCmd.AddCommand(&cobra.Command{
		Use:   "action",
		Short: "Run as the secprof GitHub Action step (reads the INPUT_* variables action.yml sets)",
		Long: `Action is the entry point of the secprof GitHub Action (action.yml). It reads
the action's inputs from INPUT_* environment variables, lints, optionally runs
the test harness and compares profiles with a git base, and reports through
GitHub: annotations, collapsed log groups, the job summary
(GITHUB_STEP_SUMMARY) and step outputs (GITHUB_OUTPUT). Outside GitHub it
prints the same log and the outputs. See docs/github-action.md.

Exit status: 0, 1 when findings reach fail-on or a test case fails, 2 on
usage, configuration, I/O or infrastructure errors.`,
		Args: cobra.NoArgs,
		RunE: runAction,
	})
}

// actionGetenv reads the environment for go-githubactions. Runners set
// INPUT_WORKING-DIRECTORY for an input named working-directory; a shell
// cannot export such a name, so INPUT_WORKING_DIRECTORY is accepted too.
func actionGetenv(key string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	if strings.HasPrefix(key, "INPUT_") {
		return os.Getenv(strings.ReplaceAll(key, "-", "_"))
	}
	return ""
}

func runAction(cmd *cobra.Command, _ []string) (err error) {
	out := cmd.OutOrStdout()
	gh := githubactions.New(githubactions.WithWriter(out), githubactions.WithGetenv(actionGetenv))
	// go-githubactions panics when it cannot write to the log; nothing
	// sensible is left to do then but to fail.
	defer func() {
		if r := recover(); r != nil {
			err = usageError(fmt.Errorf("writing to the GitHub log: %v", r))
		}
	}()
	// Errors go out as error annotations, escaped by go-githubactions; the
	// plain "secprof: …" line main prints would let a hostile file name
	// start a workflow command on stderr.
	fail := func(err error) error {
		var ee *exitError
		code := exitUsage
		if errors.As(err, &ee) {
			code = ee.code
			if ee.err == nil {
				return err
			}
			err = ee.err
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			gh.Errorf("%s", "secprof: "+line)
		}
		return silentExit(code)
	}

	in, err := ghaction.ReadInputs(gh.GetInput)
	if err != nil {
		return fail(err)
	}
	ws, err := ghaction.Workspace(gh.Getenv("GITHUB_WORKSPACE"))
	if err != nil {
		return fail(err)
	}
	wd, err := ghaction.WorkDir(ws, in.WorkingDirectory)
	if err != nil {
		return fail(err)
	}
	prev, err := os.Getwd()
	if err != nil {
		return fail(err)
	}
	if err := os.Chdir(wd); err != nil {
		return fail(err)
	}
	defer os.Chdir(prev)

	// The configuration and the plan come from the repository, which a
	// pull request controls: they must not be links out of it.
	cfgPath := in.Config
	if cfgPath == "" {
		if _, err := os.Lstat(config.DefaultFile); err == nil {
			cfgPath = config.DefaultFile
		}
	}
	if cfgPath != "" {
		if err := ghaction.InWorkspace(ws, cfgPath, "config"); err != nil {
			return fail(err)
		}
	}
	if in.Plan != "" {
		if err := ghaction.InWorkspace(ws, in.Plan, "plan"); err != nil {
			return fail(err)
		}
	}
	sarif, err := sarifPath(gh, in.SARIFFile)
	if err != nil {
		return fail(err)
	}

	outputs := ghaction.Outputs{SARIFFile: sarif}
	summary := &ghaction.Summary{Version: versionString()}

	// Lint.
	gh.Group("secprof lint")
	fl := lintFlags{configPath: cfgPath, format: in.Format, sarifFile: sarif, failOn: in.FailOn, root: ws}
	var buf bytes.Buffer
	cmd.SetOut(&buf)
	res, cfg, lerr := runLint(cmd, &fl, in.Paths)
	cmd.SetOut(out)
	if lerr != nil {
		gh.EndGroup()
		return fail(lerr)
	}
	rin := report.Input{Findings: res.Findings, Files: res.Files, Linted: res.Linted, Version: versionString()}
	if in.Format == "github" {
		// already annotations, escaped by report.GitHub
		if _, err := out.Write(buf.Bytes()); err != nil {
			return fail(err)
		}
	} else {
		if err := writeVerbatim(gh, out, buf.Bytes()); err != nil {
			return fail(err)
		}
		if err := report.GitHub(out, rin, report.GitHubOptions{SARIFHint: sarif}); err != nil {
			return fail(err)
		}
	}
	gh.EndGroup()
	sum := report.Summarize(rin)
	outputs.Findings, outputs.Errors, outputs.Warnings = sum.Findings, sum.Errors, sum.Warnings
	summary.Lint = &ghaction.LintSummary{
		Findings: res.Findings, Linted: res.Linted, FailOn: fl.failOn,
		Limit: report.MaxAnnotations, Cut: ghaction.AnnotationsCut(res.Findings, 0), SARIFFile: sarif,
	}
	exit := lintExit(res.Findings, fl.failOn)

	// Profile changes.
	if in.DiffBase != "" {
		gh.Group("secprof diff " + in.DiffBase)
		r, err := profdiff.Git(cmd.Context(), ".", in.DiffBase, in.Paths, profdiff.Options{Runtime: seccomp.RuntimeFromConfig(cfg)})
		if err != nil {
			gh.EndGroup()
			return fail(err)
		}
		var text bytes.Buffer
		_ = profdiff.Text(&text, r)
		if err := writeVerbatim(gh, out, text.Bytes()); err != nil {
			return fail(err)
		}
		gh.EndGroup()
		summary.Diff = r
		outputs.Diffed, outputs.DiffHigh = true, r.Counts().High
	}

	// Tests.
	if in.Test {
		tres, junit, err := actionTests(cmd, gh, in, cfg, out)
		if err != nil {
			// Still report what the linter found.
			_ = ghaction.AddSummary(gh, summary.Markdown())
			_ = ghaction.SetOutputs(gh, outputs.Pairs())
			return fail(err)
		}
		summary.Test, summary.JUnitFile = tres, junit
		outputs.Tested, outputs.TestsPassed, outputs.TestsFailed, outputs.JUnitFile = true, tres.Passed, tres.Failed+tres.Errors, junit
		if code := tres.ExitCode(); code == exitUsage {
			exit = silentExit(exitUsage)
		} else if code != 0 && exit == nil {
			exit = silentExit(code)
		}
	}

	if err := ghaction.AddSummary(gh, summary.Markdown()); err != nil {
		return fail(err)
	}
	if err := ghaction.SetOutputs(gh, outputs.Pairs()); err != nil {
		return fail(err)
	}
	return exit
}

// sarifPath makes the sarif-file input absolute (relative to the working
// directory), defaulting to RUNNER_TEMP/secprof/secprof.sarif, and creates
// its directory.
func sarifPath(gh *githubactions.Action, p string) (string, error) {
	if p == "" {
		tmp := gh.Getenv("RUNNER_TEMP")
		if tmp == "" {
			tmp = os.TempDir()
		}
		p = filepath.Join(tmp, "secprof", "secprof.sarif")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return "", fmt.Errorf("sarif-file: %w", err)
	}
	return abs, nil
}

// writeVerbatim prints text that may hold anything a pull request put in a
// file name, a message or a workload's output, with workflow commands
// switched off around it (::stop-commands:: with a random token), so no
// line of it can become a command.
func writeVerbatim(gh *githubactions.Action, w io.Writer, text []byte) error {
	if len(text) == 0 {
		return nil
	}
	resume, err := stopCommands(gh)
	if err != nil {
		return err
	}
	defer resume()
	if _, err := w.Write(text); err != nil {
		return err
	}
	return nil
}

// stopCommands switches workflow commands off with a random token; resume
// switches them back on (on a line of its own).
func stopCommands(gh *githubactions.Action) (resume func(), err error) {
	var tok [16]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, err
	}
	token := "secprof-" + hex.EncodeToString(tok[:])
	gh.IssueCommand(&githubactions.Command{Name: "stop-commands", Message: token})
	return func() {
		// A newline first: the text before may not end with one, and
		// the token must start a line to be seen.
		gh.Infof("%s", "")
		gh.IssueCommand(&githubactions.Command{Name: token})
	}, nil
}

// actionTests runs the harness for test: true and writes its JUnit report
// under RUNNER_TEMP.
func actionTests(cmd *cobra.Command, gh *githubactions.Action, in *ghaction.Inputs, cfg *config.File, out io.Writer) (*harness.Result, string, error) {
	plan, err := harness.Load(cfg, in.Plan)
	if err != nil {
		return nil, "", err
	}
	opts := harness.Options{Backend: in.Backend, Timeout: in.Timeout, Keep: in.KeepCluster}
	backend := plan.Backend
	if in.Backend != "" {
		backend = in.Backend
	}
	if opts.Overrides, err = backendOverrides(backend, map[string]string{
		ghaction.InKindNodeImage: in.KindNodeImage,
		ghaction.InClusterName:   in.ClusterName,
	}); err != nil {
		return nil, "", err
	}
	if backend == "cluster" {
		// The cluster backend reads a kubeconfig the workflow provides;
		// its credentials must never reach the log.
		files := ghaction.KubeconfigFiles(gh.Getenv)
		if kc := planKubeconfig(plan); kc != "" {
			files = append(files, kc)
		}
		for _, s := range ghaction.ReadKubeconfigSecrets(files) {
			gh.AddMask(s)
		}
	}
	gh.Group("secprof test (" + backend + " backend)")
	// Progress is streamed as it happens, with workflow commands off: it
	// carries workload output and names from the plan.
	resume, err := stopCommands(gh)
	if err != nil {
		return nil, "", err
	}
	opts.Log = out
	res, runErr := harness.Run(cmd.Context(), plan, opts)
	resume()
	if res != nil {
		var text bytes.Buffer
		_ = harness.WriteText(&text, res, false)
		if err := writeVerbatim(gh, out, text.Bytes()); err != nil {
			return nil, "", err
		}
	}
	gh.EndGroup()
	if res == nil {
		if runErr == nil {
			runErr = errors.New("the harness returned no result")
		}
		return nil, "", runErr
	}
	tmp := gh.Getenv("RUNNER_TEMP")
	if tmp == "" {
		tmp = os.TempDir()
	}
	junit := filepath.Join(tmp, "secprof", "junit.xml")
	if err := os.MkdirAll(filepath.Dir(junit), 0o755); err != nil {
		return nil, "", err
	}
	if err := report.WriteFileAtomic(junit, func(w io.Writer) error { return harness.WriteJUnit(w, res) }); err != nil {
		return nil, "", err
	}
	for _, c := range res.Cases {
		if c.Status == harness.FailedS || c.Status == harness.Errored {
			msg := c.Name + ": " + string(c.Status)
			if len(c.Failures) > 0 {
				msg += ": " + strings.Join(c.Failures, "; ")
			}
			if c.Error != "" {
				msg += ": " + c.Error
			}
			if s := c.Explanation.Summary(); s != "" {
				msg += " (" + s + ")"
			}
			a := gh
			if plan.File != "" && c.Line > 0 {
				if rel, err := lint.Confine(mustAbs(gh.Getenv("GITHUB_WORKSPACE")), plan.File); err == nil {
					a = gh.WithFieldsMap(map[string]string{"file": rel, "line": fmt.Sprint(c.Line), "title": "secprof test"})
				}
			}
			a.Errorf("%s", msg)
		}
	}
	// A run-level error after results (e.g. the global timeout) is still
	// an error of the step.
	return res, junit, runErr
}

// backendOverrides maps the action's backend inputs onto the option keys
// the chosen backend declares for its CLI flags (BackendSpec.Flags): an
// input such as kind-node-image is the flag of the same name, or the
// backend's flag "<backend>-<input>".
func backendOverrides(backend string, inputs map[string]string) (map[string]map[string]string, error) {
	var spec *harness.BackendSpec
	for _, s := range harness.Backends() {
		if s.Name == backend {
			s := s
			spec = &s
		}
	}
	over := map[string]map[string]string{}
	for name, v := range inputs {
		if v == "" {
			continue
		}
		if spec == nil {
			return nil, fmt.Errorf("input %s: unknown backend %q (registered: %s)", name, backend, strings.Join(harness.BackendNames(), ", "))
		}
		found := false
		for _, f := range spec.Flags {
			if f.Name == name || f.Name == backend+"-"+name {
				if over[backend] == nil {
					over[backend] = map[string]string{}
				}
				over[backend][f.Key] = v
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("input %s: the %s backend has no such setting", name, backend)
		}
	}
	return over, nil
}

func mustAbs(p string) string {
	ws, err := ghaction.Workspace(p)
	if err != nil {
		return p
	}
	return ws
}

// planKubeconfig is test.cluster.kubeconfig of the plan, resolved against
// the plan's directory, or "".
func planKubeconfig(plan *harness.Plan) string {
	n := plan.BackendOptions["cluster"]
	if n == nil {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "kubeconfig" && n.Content[i+1].Value != "" {
			p := n.Content[i+1].Value
			if !filepath.IsAbs(p) {
				p = filepath.Join(plan.Dir, p)
			}
			return p
		}
	}
	return ""
}
