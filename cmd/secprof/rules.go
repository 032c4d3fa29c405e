package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secprof/secprof/docs"
	"github.com/secprof/secprof/lint"
)

func init() {
	rootCmd.AddCommand(&cobra.Command{
		Use:   "rules [RULE-ID]",
		Short: "List the lint rules, or print one rule's documentation",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_ = checkers() // checker packages register their rules when linked in
			out := cmd.OutOrStdout()
			if len(args) == 1 {
				r, ok := lint.LookupRule(args[0])
				if !ok {
					return usageError(fmt.Errorf("unknown rule %q (see `secprof rules`)", args[0]))
				}
				page, ok := docs.Rule(r.ID)
				if !ok {
					page = fmt.Sprintf("# %s\n\nSeverity: %s\n\n%s\n", r.ID, r.Severity, r.Summary)
				}
				fmt.Fprint(out, page)
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RULE\tSEVERITY\tSUMMARY")
			for _, r := range lint.AllRules() {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", r.ID, r.Severity, r.Summary)
			}
			return tw.Flush()
		},
	})
}
