package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/secprof/secprof/harness"
	_ "github.com/secprof/secprof/harness/cluster" // an existing cluster through a kubeconfig
	_ "github.com/secprof/secprof/harness/docker"  // containers through testcontainers-go
	_ "github.com/secprof/secprof/harness/kind"    // a kind cluster made for the run
	_ "github.com/secprof/secprof/harness/local"   // the default backend
	"github.com/secprof/secprof/lint/report"
)

type testFlags struct {
	configPath string
	planPath   string
	backend    string
	timeout    string
	parallel   int
	junit      string
	jsonFile   string
	keep       bool
	noExplain  bool
	run        string
	verbose    bool
	// backendFlags hold the registered backends' own flags.
	backendFlags map[string]harness.BackendFlag
}

func init() {
	fl := &testFlags{backendFlags: map[string]harness.BackendFlag{}}
	cmd := &cobra.Command{
		Use:   "test",
		Short: "Run workloads under their profiles and check the outcomes the plan expects",
		Long: `Test runs each case of the test plan (the test: section of .secprof.yaml, or
--plan FILE) on a backend and checks its outcome (Running, CrashLoopBackOff,
CreateContainerError, Blocked, Completed, Failed) and its exec, http and
syscalls checks. Everything started is cleaned up on success, failure,
timeout and Ctrl-C. See docs/plan.md and docs/harness.md.

Exit status: 0 when every case passed or was skipped, 1 when a case failed,
2 on plan, usage or infrastructure errors.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTest(cmd, fl)
		},
	}
	addTestFlags(cmd, fl)
	rootCmd.AddCommand(cmd)
}

func addTestFlags(cmd *cobra.Command, fl *testFlags) {
	f := cmd.Flags()
	if f.Lookup("config") == nil {
		f.StringVarP(&fl.configPath, "config", "c", "", "configuration file (default: ./.secprof.yaml when it exists)")
	}
	f.StringVar(&fl.planPath, "plan", "", "test plan file (default: the test: section of the configuration)")
	f.StringVar(&fl.backend, "backend", "", "backend to run on (default from the plan, else local)")
	f.StringVar(&fl.timeout, "timeout", "", "timeout of the whole run, e.g. 10m (default from the plan)")
	f.IntVar(&fl.parallel, "parallel", 0, "cases run at once (default from the plan)")
	f.StringVar(&fl.junit, "junit", "", "also write a JUnit XML report to this file")
	f.StringVar(&fl.jsonFile, "json", "", "also write a JSON report to this file")
	f.BoolVar(&fl.keep, "keep", false, "keep clusters and containers for debugging (backends that make them)")
	f.BoolVar(&fl.noExplain, "no-explain", false, "do not re-run failed cases to find the denied syscalls")
	f.StringVar(&fl.run, "run", "", "run only the cases whose name matches this regular expression")
	if f.Lookup("verbose") == nil {
		f.BoolVarP(&fl.verbose, "verbose", "v", false, "print progress and every case's details")
	}
	for _, spec := range harness.Backends() {
		for _, bf := range spec.Flags {
			if f.Lookup(bf.Name) != nil {
				continue
			}
			fl.backendFlags[bf.Name] = bf
			usage := bf.Usage + " (" + spec.Name + " backend; plan key test." + spec.Name + "." + bf.Key + ")"
			if bf.Bool {
				f.Bool(bf.Name, false, usage)
			} else {
				f.String(bf.Name, "", usage)
			}
		}
	}
}

// testBackendOverrides turns the backend flags that were given into option
// overrides, keyed by backend.
func testBackendOverrides(f *pflag.FlagSet, fl *testFlags) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, spec := range harness.Backends() {
		for _, bf := range spec.Flags {
			flag := f.Lookup(bf.Name)
			if flag == nil || !flag.Changed {
				continue
			}
			if out[spec.Name] == nil {
				out[spec.Name] = map[string]string{}
			}
			out[spec.Name][bf.Key] = flag.Value.String()
		}
	}
	return out
}

// testOptions builds harness.Options from the flags.
func testOptions(cmd *cobra.Command, fl *testFlags) (harness.Options, error) {
	opts := harness.Options{Backend: fl.backend, Parallel: fl.parallel, Keep: fl.keep, NoExplain: fl.noExplain,
		Run: fl.run, Overrides: testBackendOverrides(cmd.Flags(), fl)}
	if fl.timeout != "" {
		d, err := parseDuration(fl.timeout)
		if err != nil {
			return opts, usageError(fmt.Errorf("--timeout: %v", err))
		}
		opts.Timeout = d
	}
	if fl.parallel < 0 {
		return opts, usageError(errors.New("--parallel must be positive"))
	}
	if fl.verbose {
		opts.Log = cmd.ErrOrStderr()
	}
	return opts, nil
}

// loadPlan reads the plan named by the flags. Plan errors exit 2 and list
// every problem with file:line:column.
func loadPlan(fl *testFlags) (*harness.Plan, error) {
	cfg, err := loadConfig(fl.configPath)
	if err != nil {
		return nil, err
	}
	plan, err := harness.Load(cfg, fl.planPath)
	if err != nil {
		return nil, usageError(err)
	}
	return plan, nil
}

func runTest(cmd *cobra.Command, fl *testFlags) error {
	opts, err := testOptions(cmd, fl)
	if err != nil {
		return err
	}
	plan, err := loadPlan(fl)
	if err != nil {
		return err
	}
	res, err := harness.Run(cmd.Context(), plan, opts)
	return finishTest(cmd.OutOrStdout(), fl, res, err)
}

// finishTest writes the reports and turns the result into an exit code.
func finishTest(out io.Writer, fl *testFlags, res *harness.Result, runErr error) error {
	if res == nil {
		return usageError(runErr)
	}
	if err := harness.WriteText(out, res, fl.verbose); err != nil {
		return usageError(err)
	}
	if fl.junit != "" {
		if err := report.WriteFileAtomic(fl.junit, func(w io.Writer) error { return harness.WriteJUnit(w, res) }); err != nil {
			return usageError(fmt.Errorf("--junit: %w", err))
		}
	}
	if fl.jsonFile != "" {
		if err := report.WriteFileAtomic(fl.jsonFile, func(w io.Writer) error { return harness.WriteJSON(w, res) }); err != nil {
			return usageError(fmt.Errorf("--json: %w", err))
		}
	}
	if runErr != nil {
		return usageError(runErr)
	}
	if code := res.ExitCode(); code != 0 {
		return silentExit(code)
	}
	return nil
}

func parseDuration(s string) (time.Duration, error) {
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if v <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration", s)
	}
	return v, nil
}
