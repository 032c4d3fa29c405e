package probe

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// Main is the probe's command line, shared by `secprof probe` and the
// static probe binary:
//
//	probe [-syscalls a,b,c] [-all] [-sleep] [-pretty] [SYSCALL…]
//	probe -write FILE
//
// It prints the Report as JSON. With -sleep it then stays alive until
// SIGTERM, so a probe container keeps Running for exec checks.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	list := fs.String("syscalls", "", "comma-separated syscalls to try")
	all := fs.Bool("all", false, "try every syscall known on this architecture")
	sleep := fs.Bool("sleep", false, "stay alive after reporting (for a probe container)")
	pretty := fs.Bool("pretty", false, "indent the JSON")
	timeout := fs.Duration("try-timeout", 2*time.Second, "bound for one try")
	write := fs.String("write", "", "only try to create and write this file (exit 1 if denied), like touch")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *write != "" {
		// An exec check's "touch" for images without one.
		f, err := os.OpenFile(*write, os.O_WRONLY|os.O_CREATE, 0o644)
		if err == nil {
			_, err = f.WriteString("written by the secprof probe\n")
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "probe: write %s: %v\n", *write, err)
			return 1
		}
		fmt.Fprintf(stdout, "wrote %s\n", *write)
		return 0
	}
	var names []string
	for _, s := range strings.Split(*list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			names = append(names, s)
		}
	}
	names = append(names, fs.Args()...)
	if *all {
		names = SortedNames()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := Run(ctx, Options{Syscalls: names, TryTimeout: *timeout})
	if err != nil {
		fmt.Fprintln(stderr, "probe:", err)
		return 2
	}
	enc := json.NewEncoder(stdout)
	if *pretty {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(rep); err != nil {
		fmt.Fprintln(stderr, "probe:", err)
		return 2
	}
	if *sleep {
		<-ctx.Done()
	}
	return 0
}
