package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/secprof/secprof/harness/record"
	"github.com/secprof/secprof/lint/report"
)

func init() {
	var (
		output       string
		format       string
		forContainer bool
		duration     time.Duration
		allowEsc     bool
	)
	cmd := &cobra.Command{
		Use:   "record [flags] -- CMD [ARG]...",
		Short: "Run a command and write the smallest seccomp profile that lets it run",
		Long: `Record runs CMD with every syscall routed to seccomp user notification
(secprof answers each one and lets it run), then writes an ERRNO-by-default
profile allowing exactly the syscalls CMD and its children made: OCI/Docker
JSON, or a Security Profiles Operator SeccompProfile with --format spo.
--for-container adds the syscalls a container runtime makes after installing
the filter. The profile is written atomically; nothing is written when the
recording fails. CMD's own output goes to standard error.

Exit status: 0 when the profile was written, 1 when CMD failed (the profile
is still written: it may be what made CMD fail under a tighter one), 2 on
errors.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != record.FormatJSON && format != record.FormatSPO {
				return usageError(fmt.Errorf("--format must be json or spo"))
			}
			if output != "" {
				if st, err := os.Stat(filepath.Dir(output)); err != nil || !st.IsDir() {
					return usageError(fmt.Errorf("-o %s: no such directory", output))
				}
			}
			res, err := record.Run(cmd.Context(), record.Options{Argv: args, Duration: duration, ForContainer: forContainer,
				NoNewPrivs: !allowEsc, Stdout: cmd.ErrOrStderr(), Stderr: cmd.ErrOrStderr()})
			if err != nil {
				return usageError(err)
			}
			name := filepath.Base(args[0])
			write := func(w io.Writer) error { return record.WriteProfile(w, res.Profile(), format, name) }
			if output == "" {
				if err := write(cmd.OutOrStdout()); err != nil {
					return usageError(err)
				}
			} else if err := report.WriteFileAtomic(output, write); err != nil {
				return usageError(err)
			}
			msg := fmt.Sprintf("recorded %d syscalls of %s", len(res.Syscalls), strings.Join(args, " "))
			if res.ExitCode == -1 {
				msg += fmt.Sprintf(" (stopped after %s)", duration)
			} else {
				msg += fmt.Sprintf(" (exit code %d)", res.ExitCode)
			}
			if len(res.Unknown) > 0 {
				msg += fmt.Sprintf("; %d syscall numbers libseccomp cannot name: %v", len(res.Unknown), res.Unknown)
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "secprof:", msg)
			if res.ExitCode > 0 {
				return silentExit(1)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&output, "output", "o", "", "write the profile to this file (atomically) instead of standard output")
	f.StringVar(&format, "format", "json", "profile format: json (OCI/Docker) or spo (SeccompProfile)")
	f.BoolVar(&forContainer, "for-container", false, "add the syscalls a container runtime needs after installing the filter")
	f.DurationVar(&duration, "duration", 0, "stop CMD after this long and write what it used (for servers)")
	f.BoolVar(&allowEsc, "allow-privilege-escalation", false, "do not set no_new_privs on CMD")
	rootCmd.AddCommand(cmd)
}
