package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

var updateDocs = flag.Bool("update", false, "rewrite docs/cli.md")

// TestCLIDocIsCurrent keeps docs/cli.md, the reference of every command and
// flag (a public contract), identical to what the binary really accepts.
func TestCLIDocIsCurrent(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`# Command-line reference

Generated from the commands themselves; ` + "`go test ./cmd/secprof -run CLIDoc -update`" + ` rewrites it.
Flags and their meaning are a public contract: they are added, never renamed or removed.

Exit status of every command: 0 success, 1 findings at or above ` + "`--fail-on`" + ` or failed test
cases, 2 usage, configuration, I/O or infrastructure errors.
`)
	cmds := rootCmd.Commands()
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name() < cmds[j].Name() })
	for _, c := range cmds {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		writeCommand(&b, c)
	}
	const path = "../../docs/cli.md"
	if *updateDocs {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/secprof -run CLIDoc -update)", err)
	}
	if !bytes.Equal(want, b.Bytes()) {
		t.Errorf("docs/cli.md is out of date: run go test ./cmd/secprof -run CLIDoc -update and review the diff")
	}
}

func writeCommand(b *bytes.Buffer, c *cobra.Command) {
	fmt.Fprintf(b, "\n## secprof %s\n\n%s\n\n```\nsecprof %s\n```\n", c.Name(), c.Short, c.Use)
	if c.Long != "" {
		fmt.Fprintf(b, "\n%s\n", strings.TrimSpace(c.Long))
	}
	var flags []*pflag.Flag
	c.Flags().VisitAll(func(f *pflag.Flag) { flags = append(flags, f) })
	if len(flags) == 0 {
		return
	}
	b.WriteString("\n| flag | default | meaning |\n| --- | --- | --- |\n")
	for _, f := range flags {
		name := "`--" + f.Name + "`"
		if f.Shorthand != "" {
			name = "`-" + f.Shorthand + "`, " + name
		}
		def := f.DefValue
		if def == "" || def == "[]" || def == "false" || def == "0" {
			def = ""
		} else {
			def = "`" + def + "`"
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", name, def, strings.ReplaceAll(f.Usage, "|", `\|`))
	}
}
