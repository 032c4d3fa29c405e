package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/apparmor"
	"github.com/secprof/secprof/lint/report"
)

type lintFlags struct {
	configPath     string
	format         string
	output         string
	sarifFile      string
	failOn         string
	runtime        string
	apparmorParser string
	includes       []string
	disable        []string
	root           string
	verbose        bool
}

func init() {
	var fl lintFlags
	cmd := &cobra.Command{
		Use:   "lint [PATH]...",
		Short: "Lint seccomp and AppArmor profiles and the manifests that use them",
		Long: `Lint checks every file and directory given (recursively; default ".") and
reports findings with a rule ID, a severity and file:line:column.
The kind of each file is detected from its content; files that are neither a
profile nor a manifest are skipped (-v says so).

Exit status: 0 when no finding reaches --fail-on, 1 when one does, 2 on usage,
configuration or I/O errors.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			res, _, err := runLint(cmd, &fl, args)
			if err != nil {
				return err
			}
			return lintExit(res.Findings, fl.failOn)
		},
	}
	addLintFlags(cmd, &fl)
	rootCmd.AddCommand(cmd)
}

func addLintFlags(cmd *cobra.Command, fl *lintFlags) {
	f := cmd.Flags()
	f.StringVarP(&fl.configPath, "config", "c", "", "configuration file (default: ./"+config.DefaultFile+" when it exists)")
	f.StringVarP(&fl.format, "format", "f", "text", "output format: text, json, sarif or github")
	f.StringVarP(&fl.output, "output", "o", "", "write the report to this file (atomically) instead of standard output")
	f.StringVar(&fl.sarifFile, "sarif-file", "", "also write a SARIF report to this file")
	f.StringVar(&fl.failOn, "fail-on", "", "lowest severity that makes the exit status 1: error, warning, info or never (default from lint.failOn, else error)")
	f.StringVar(&fl.runtime, "runtime", "", "container runtime that will load seccomp profiles: containerd, cri-o or docker (default from lint.runtime, else containerd)")
	f.StringVar(&fl.apparmorParser, "apparmor-parser", "", "use apparmor_parser as a second opinion: auto, off or a path (default from lint.apparmor.parser, else auto)")
	f.StringArrayVarP(&fl.includes, "include", "I", nil, "extra AppArmor include directory (repeatable)")
	f.StringArrayVar(&fl.disable, "disable", nil, "disable a rule by ID (repeatable)")
	f.StringVar(&fl.root, "root", "", "workspace root; no file outside it is read (default: the working directory)")
	f.BoolVarP(&fl.verbose, "verbose", "v", false, "say which files are skipped and why")
}

// loadConfig reads --config, or ./.secprof.yaml when present.
func loadConfig(path string) (*config.File, error) {
	if path != "" {
		c, err := config.Load(path)
		if err != nil {
			return nil, usageError(err)
		}
		return c, nil
	}
	c, err := config.Find(".")
	if err != nil {
		return nil, usageError(err)
	}
	return c, nil
}

// runLint loads the configuration, applies flag overrides, lints and writes
// the reports. The caller decides the exit status.
func runLint(cmd *cobra.Command, fl *lintFlags, args []string) (*lint.Result, *config.File, error) {
	cfg, err := loadConfig(fl.configPath)
	if err != nil {
		return nil, nil, err
	}
	if fl.runtime != "" {
		cfg.Lint.Runtime = fl.runtime
	}
	if fl.apparmorParser != "" {
		cfg.Lint.AppArmor.Parser = fl.apparmorParser
	}
	for _, dir := range fl.includes {
		// -I is relative to the working directory; config paths are
		// resolved against the config file, so make it absolute.
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, nil, usageError(err)
		}
		cfg.Lint.AppArmor.Includes = append(cfg.Lint.AppArmor.Includes, abs)
	}
	if _, err := apparmor.ParserPath(cfg.Lint.AppArmor.Parser); err != nil {
		return nil, nil, usageError(fmt.Errorf("--apparmor-parser: %v", err))
	}
	cfg.Lint.Disable = append(cfg.Lint.Disable, fl.disable...)
	if fl.failOn == "" {
		fl.failOn = cfg.Lint.FailOn
	}
	if err := checkChoice("--fail-on", fl.failOn, "error", "warning", "info", "never"); err != nil {
		return nil, nil, err
	}
	if err := checkChoice("--runtime", cfg.Lint.Runtime, config.Runtimes...); err != nil {
		return nil, nil, err
	}
	if err := checkChoice("--format", fl.format, report.Formats...); err != nil {
		return nil, nil, err
	}
	for _, id := range cfg.Lint.Disable {
		if _, ok := lint.LookupRule(id); !ok {
			return nil, nil, usageError(fmt.Errorf("unknown rule %q (see `secprof rules`)", id))
		}
	}
	if len(args) == 0 {
		args = []string{"."}
	}
	opts := lint.Options{Root: fl.root, Config: cfg, Checkers: checkers()}
	if fl.verbose {
		errw := cmd.ErrOrStderr()
		opts.Verbose = func(format string, a ...any) { fmt.Fprintf(errw, format+"\n", a...) }
	}
	res, err := lint.Run(cmd.Context(), opts, args)
	if err != nil {
		return nil, nil, usageError(err)
	}
	in := report.Input{Findings: res.Findings, Files: res.Files, Linted: res.Linted, Version: versionString()}
	if fl.sarifFile != "" {
		if err := report.WriteFileAtomic(fl.sarifFile, func(w io.Writer) error { return report.SARIF(w, in) }); err != nil {
			return nil, nil, usageError(err)
		}
	}
	write := func(w io.Writer) error {
		if fl.format == "github" {
			return report.GitHub(w, in, report.GitHubOptions{SARIFHint: fl.sarifFile})
		}
		return report.Write(w, fl.format, in)
	}
	if fl.output != "" {
		if err := os.MkdirAll(filepath.Dir(fl.output), 0o755); err != nil {
			return nil, nil, usageError(err)
		}
		err = report.WriteFileAtomic(fl.output, write)
	} else {
		err = write(cmd.OutOrStdout())
	}
	if err != nil {
		return nil, nil, usageError(err)
	}
	return res, cfg, nil
}

// lintExit returns exit 1 when a finding is at or above failOn.
func lintExit(fs []lint.Finding, failOn string) error {
	if failOn == "never" {
		return nil
	}
	min, _ := lint.ParseSeverity(failOn)
	for _, f := range fs {
		if f.Severity >= min {
			return silentExit(exitFindings)
		}
	}
	return nil
}

func checkChoice(flag, v string, choices ...string) error {
	for _, c := range choices {
		if v == c {
			return nil
		}
	}
	return usageError(fmt.Errorf("%s: %q is not one of %v", flag, v, choices))
}
