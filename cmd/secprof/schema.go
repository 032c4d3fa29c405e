package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secprof/secprof/schemas"
)

func init() {
	rootCmd.AddCommand(&cobra.Command{
		Use:   "schema [NAME]",
		Short: "Print an embedded JSON Schema (for editors), or list them",
		Long: `Prints one of the JSON Schemas (draft-07) secprof validates against, so that
editors can use it, e.g.  secprof schema seccomp > seccomp.schema.json
Without a name, lists the schemas.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), strings.Join(schemas.Names(), "\n"))
				return nil
			}
			b, ok := schemas.Get(args[0])
			if !ok {
				return usageError(fmt.Errorf("no schema %q (have: %s)", args[0], strings.Join(schemas.Names(), ", ")))
			}
			_, err := cmd.OutOrStdout().Write(b)
			return err
		},
	})
}
