package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secprof/secprof/config"
	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/report"
	"github.com/secprof/secprof/lint/seccomp"
	"github.com/secprof/secprof/lint/spo"
)

type flattenFlags struct {
	output     string
	format     string
	name       string
	search     []string
	root       string
	configPath string
	runtime    string
	offline    bool
	cacheDir   string
}

func init() {
	var fl flattenFlags
	cmd := &cobra.Command{
		Use:   "flatten FILE",
		Short: "Write the seccomp profile the Security Profiles Operator composes from a SeccompProfile and its base profiles",
		Long: `Flatten resolves the baseProfileName chain of a SeccompProfile as the Security
Profiles Operator does — SeccompProfile objects of the workspace by name, oci://
artifacts pulled from their registry (cached; SECPROF_OFFLINE=1 or --offline uses the
cache only) — and writes the composed profile: the profile's own fields with the union
of the chain's syscalls. --format json writes the runtime-spec JSON a node loads;
--format spo a SeccompProfile object without baseProfileName.

Base profiles are looked up in the SeccompProfile files under --search (default: the
directory of FILE). Nothing outside --root (default: the working directory) is read.

Exit status: 0 when the profile was written, 2 when it cannot be composed (base not
found, cycle, too deep, unreadable input) or on usage errors.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runFlatten(cmd, &fl, args[0]) },
	}
	f := cmd.Flags()
	f.StringVarP(&fl.output, "output", "o", "", "write the profile to this file (atomically) instead of standard output")
	f.StringVar(&fl.format, "format", "json", "output format: json (runtime-spec) or spo (SeccompProfile object)")
	f.StringVar(&fl.name, "name", "", "the SeccompProfile to flatten when FILE holds several")
	f.StringArrayVarP(&fl.search, "search", "I", nil, "directory to look for base SeccompProfiles in (repeatable; default: the directory of FILE)")
	f.StringVar(&fl.root, "root", "", "workspace root; no file outside it is read (default: the working directory)")
	f.StringVarP(&fl.configPath, "config", "c", "", "configuration file, for lint.runtime (default: ./"+config.DefaultFile+" when it exists)")
	f.StringVar(&fl.runtime, "runtime", "", "container runtime the profile is resolved for: containerd, cri-o or docker (default from lint.runtime, else containerd)")
	f.BoolVar(&fl.offline, "offline", false, "do not contact registries: oci:// bases come from the cache only")
	f.StringVar(&fl.cacheDir, "cache-dir", "", "cache of pulled base profiles (default: $SECPROF_CACHE_DIR, else the user cache directory's secprof/oci)")
	rootCmd.AddCommand(cmd)
}

func runFlatten(cmd *cobra.Command, fl *flattenFlags, path string) error {
	if err := checkChoice("--format", fl.format, "json", "spo"); err != nil {
		return err
	}
	cfg, err := loadConfig(fl.configPath)
	if err != nil {
		return err
	}
	if fl.runtime != "" {
		cfg.Lint.Runtime = fl.runtime
	}
	if err := checkChoice("--runtime", cfg.Lint.Runtime, config.Runtimes...); err != nil {
		return err
	}
	root, err := absDir(fl.root)
	if err != nil {
		return usageError(err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return usageError(err)
	}
	file, err := spo.ReadFile(root, abs)
	if err != nil {
		return usageError(err)
	}
	profiles, findings := seccomp.ParseFile(file)
	for _, f := range findings {
		if f.Rule == seccomp.RuleParse {
			return usageError(fmt.Errorf("%s:%d:%d: %s", f.File, f.Line, f.Column, f.Message))
		}
	}
	p, err := pickProfile(profiles, fl.name, file.Path)
	if err != nil {
		return usageError(err)
	}

	dirs := fl.search
	if len(dirs) == 0 {
		dirs = []string{filepath.Dir(abs)}
	}
	for i, d := range dirs {
		if dirs[i], err = filepath.Abs(d); err != nil {
			return usageError(err)
		}
	}
	files, err := spo.CollectProfiles(root, dirs)
	if err != nil {
		return usageError(err)
	}
	files = append(files, file)
	puller := spo.NewPuller()
	if fl.offline {
		puller.Offline = true
	}
	if fl.cacheDir != "" {
		puller.CacheDir = fl.cacheDir
	}
	r := &spo.Resolver{Local: spo.NewLocalIndex(files).Find, Puller: puller}
	chain, problems := r.Resolve(cmd.Context(), p)
	var notes []lint.Finding
	failed := false
	for _, pr := range problems {
		notes = append(notes, pr.Finding())
		if pr.Rule != spo.RuleUnpinnedBaseProfile {
			failed = true
		}
	}
	var flat *spo.Flat
	if !failed {
		flat = spo.Flatten(chain)
		notes = append(notes, flat.OverrideFindings()...)
	}
	errw := cmd.ErrOrStderr()
	for _, n := range lint.Apply(cfg, notes) {
		fmt.Fprintln(errw, n.String())
	}
	if failed {
		return usageError(fmt.Errorf("%s: cannot compose %s", file.Path, profileLabel(p)))
	}
	rt := seccomp.RuntimeFromConfig(cfg)
	var out []byte
	if fl.format == "spo" {
		out, err = flat.SPO(rt)
	} else {
		out, err = flat.JSON(rt)
	}
	if err != nil {
		return usageError(err)
	}
	if fl.output == "" {
		_, err = cmd.OutOrStdout().Write(out)
		return err
	}
	if err := os.MkdirAll(filepath.Dir(fl.output), 0o755); err != nil {
		return usageError(err)
	}
	if err := report.WriteFileAtomic(fl.output, func(w io.Writer) error {
		_, err := w.Write(out)
		return err
	}); err != nil {
		return usageError(err)
	}
	return nil
}

// pickProfile chooses the profile of the file to flatten.
func pickProfile(profiles []*seccomp.Profile, name, path string) (*seccomp.Profile, error) {
	if len(profiles) == 0 {
		return nil, fmt.Errorf("%s holds no seccomp profile", path)
	}
	if name != "" {
		for _, p := range profiles {
			if p.Name.V == name {
				return p, nil
			}
		}
		return nil, fmt.Errorf("%s has no SeccompProfile named %q", path, name)
	}
	if len(profiles) == 1 {
		return profiles[0], nil
	}
	var names []string
	for _, p := range profiles {
		names = append(names, p.Name.V)
	}
	return nil, fmt.Errorf("%s holds %d SeccompProfiles (%s): choose one with --name", path, len(profiles), strings.Join(names, ", "))
}

func profileLabel(p *seccomp.Profile) string {
	if p.Name.Set {
		return "SeccompProfile " + p.Name.V
	}
	return "the profile"
}

// absDir returns the absolute, symlink-resolved directory (default: the
// working directory).
func absDir(dir string) (string, error) {
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", err
	}
	if !st.IsDir() {
		return "", errors.New(dir + ": not a directory")
	}
	return abs, nil
}
