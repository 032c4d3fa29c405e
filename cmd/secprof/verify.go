package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/secprof/secprof/harness"
)

func init() {
	lfl := &lintFlags{}
	tfl := &testFlags{backendFlags: map[string]harness.BackendFlag{}}
	cmd := &cobra.Command{
		Use:   "verify [PATH]...",
		Short: "Lint, then test: the whole job on a repository",
		Long: `Verify runs "secprof lint" on the paths (default ".") and then "secprof test"
on the configuration's test plan, with the flags of both. It is what
"make verify" runs on this repository's fixtures.

Exit status: 0 when lint found nothing at or above --fail-on and every case
passed, 1 otherwise, 2 on usage, configuration, plan or infrastructure errors.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			fmt.Fprintln(out, "== secprof lint")
			res, _, err := runLint(cmd, lfl, args)
			if err != nil {
				return err
			}
			lintErr := lintExit(res.Findings, lfl.failOn)

			fmt.Fprintln(out, "\n== secprof test")
			tfl.configPath, tfl.verbose = lfl.configPath, lfl.verbose
			testErr := runTest(cmd, tfl)
			var ee *exitError
			if errors.As(testErr, &ee) && ee.code == exitUsage {
				return testErr
			}
			switch {
			case lintErr != nil && testErr != nil:
				return &exitError{code: exitFindings, err: errors.New("lint found problems and test cases failed")}
			case lintErr != nil:
				return &exitError{code: exitFindings, err: fmt.Errorf("lint found problems at or above --fail-on %s", lfl.failOn)}
			case testErr != nil:
				return &exitError{code: exitFindings, err: errors.New("test cases failed")}
			}
			return nil
		},
	}
	addLintFlags(cmd, lfl)
	addTestFlags(cmd, tfl)
	rootCmd.AddCommand(cmd)
}
