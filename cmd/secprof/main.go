// Command secprof lints container security profiles (seccomp, AppArmor) and
// the Kubernetes manifests that use them, and tests them by running real
// workloads under them. The CLI is a thin layer over the lint and harness
// packages; each subcommand lives in a file of its own.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes are a public contract (docs/cli.md).
const (
	exitOK       = 0
	exitFindings = 1 // findings at or above --fail-on, or failed test cases
	exitUsage    = 2 // usage, configuration, I/O or infrastructure errors
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// silentExit exits with code without printing anything more.
func silentExit(code int) error { return &exitError{code: code} }

// usageError makes err exit with code 2.
func usageError(err error) error { return &exitError{code: exitUsage, err: err} }

var rootCmd = &cobra.Command{
	Use:           "secprof",
	Short:         "Lint and test container security profiles (seccomp, AppArmor) and the manifests that use them",
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	// The first SIGINT/SIGTERM cancels the context so commands clean up
	// what they started; a second one kills the process.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal, restore the default handling so that a
		// second one kills the process at once.
		<-ctx.Done()
		stop()
	}()
	rootCmd.SetArgs(args)
	err := rootCmd.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(os.Stderr, "secprof:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "secprof:", err)
	return exitUsage
}
