package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/secprof/secprof/lint/profdiff"
	"github.com/secprof/secprof/lint/report"
	"github.com/secprof/secprof/lint/seccomp"
)

type diffFlags struct {
	gitBase    string
	format     string
	output     string
	failOn     string
	runtime    string
	configPath string
}

func init() {
	var fl diffFlags
	cmd := &cobra.Command{
		Use:   "diff BASE HEAD | diff --git-base REF [PATH]...",
		Short: "List what a change to profiles allows or forbids, with the risk of each item",
		Long: `Diff compares two versions of seccomp and AppArmor profiles and lists what the
change adds or removes: syscalls newly allowed (argument conditions taken into
account), default action changes, architectures, flags, AppArmor capabilities
and file permissions — each with a risk (high, medium, low, info).

BASE and HEAD are two files or two directories (files paired by relative path).
With --git-base REF, every profile under PATH (default ".") that changed in the
work tree since the commit REF is compared with its version at REF.

Exit status: 0, or 1 when an item reaches --fail-on; 2 on usage or I/O errors.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if fl.gitBase == "" && len(args) != 2 {
				return usageError(fmt.Errorf("diff needs BASE and HEAD, or --git-base REF"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(cmd, &fl, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.gitBase, "git-base", "", "compare the work tree with this commit (a branch, tag or commit ID)")
	f.StringVarP(&fl.format, "format", "f", "text", "output format: text, markdown or json")
	f.StringVarP(&fl.output, "output", "o", "", "write the report to this file (atomically) instead of standard output")
	f.StringVar(&fl.failOn, "fail-on", "never", "lowest risk that makes the exit status 1: high, medium, low, info or never")
	f.StringVar(&fl.runtime, "runtime", "", "container runtime that loads the seccomp profiles: containerd, cri-o or docker (default from lint.runtime, else containerd)")
	f.StringVarP(&fl.configPath, "config", "c", "", "configuration file (default: ./.secprof.yaml when it exists)")
	rootCmd.AddCommand(cmd)
}

func runDiff(cmd *cobra.Command, fl *diffFlags, args []string) error {
	if err := checkChoice("--format", fl.format, profdiff.Formats...); err != nil {
		return err
	}
	if err := checkChoice("--fail-on", fl.failOn, "high", "medium", "low", "info", "never"); err != nil {
		return err
	}
	cfg, err := loadConfig(fl.configPath)
	if err != nil {
		return err
	}
	if fl.runtime != "" {
		cfg.Lint.Runtime = fl.runtime
	}
	if err := checkChoice("--runtime", cfg.Lint.Runtime, "containerd", "cri-o", "docker"); err != nil {
		return err
	}
	opt := profdiff.Options{Runtime: seccomp.RuntimeFromConfig(cfg)}
	var r *profdiff.Report
	if fl.gitBase != "" {
		if err := profdiff.CheckRef(fl.gitBase); err != nil {
			return usageError(fmt.Errorf("--git-base: %w", err))
		}
		r, err = profdiff.Git(cmd.Context(), ".", fl.gitBase, args, opt)
	} else {
		r, err = profdiff.Paths(args[0], args[1], opt)
	}
	if err != nil {
		return usageError(err)
	}
	write := func(w io.Writer) error { return profdiff.Write(w, fl.format, r) }
	if fl.output != "" {
		err = report.WriteFileAtomic(fl.output, write)
	} else {
		err = write(cmd.OutOrStdout())
	}
	if err != nil {
		return usageError(err)
	}
	if fl.failOn != "never" {
		min, _ := profdiff.ParseRisk(fl.failOn)
		if max, ok := r.Max(); ok && max >= min {
			return silentExit(exitFindings)
		}
	}
	if r.Counts().Errors > 0 {
		fmt.Fprintln(os.Stderr, "secprof: some files could not be compared (see above)")
		return silentExit(exitUsage)
	}
	return nil
}
