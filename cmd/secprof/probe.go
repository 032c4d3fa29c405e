package main

import (
	"github.com/spf13/cobra"

	"github.com/secprof/secprof/harness/probe"
)

func init() {
	rootCmd.AddCommand(&cobra.Command{
		Use:   "probe [flags] [SYSCALL]...",
		Short: "Report the seccomp mode, AppArmor label, capabilities and denied syscalls of this process",
		Long: `Probe prints, as JSON, what confines the process it runs in: the seccomp
mode (/proc/self/status), the AppArmor label, the capabilities, and for each
syscall named (-syscalls a,b or arguments, -all for every one) whether it is
denied. Each syscall is tried in a throw-away child with arguments that make
an allowed call fail its own checks, so nothing happens either way.

Flags: -syscalls LIST, -all, -sleep (stay alive after reporting), -pretty,
-try-timeout D, -write FILE (only try to write FILE; exit 1 when denied).
The same program is built as the static fixtures/workloads/probe.`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				if a == "-h" || a == "--help" || a == "-help" {
					return cmd.Help()
				}
			}
			if code := probe.Main(args, cmd.OutOrStdout(), cmd.ErrOrStderr()); code != 0 {
				return silentExit(code)
			}
			return nil
		},
	})
}
