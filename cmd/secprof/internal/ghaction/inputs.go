// Package ghaction holds what `secprof action` (the entry point of the
// secprof GitHub Action, action.yml) needs beyond the lint and harness
// libraries: reading and checking the action's inputs, writing its outputs,
// confining the working directory to the workspace, finding the secrets to
// mask, and rendering the job summary. Everything that reaches GitHub goes
// through github.com/sethvargo/go-githubactions, never through hand-written
// workflow commands.
package ghaction

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/secprof/secprof/lint/profdiff"
)

// Inputs are the action's inputs (action.yml), parsed and checked. Their
// names and meanings are a public contract documented in
// docs/github-action.md.
type Inputs struct {
	// Paths to lint, relative to WorkingDirectory; one per line.
	Paths []string
	// Config is the .secprof.yaml to use ("" = the one in WorkingDirectory, if any).
	Config string
	// FailOn is error, warning, info or never ("" = lint.failOn of the config).
	FailOn string
	// Format is the report printed to the step log besides the annotations:
	// text, json, sarif, or github (annotations only).
	Format string
	// SARIFFile is where the SARIF report goes ("" = under RUNNER_TEMP).
	SARIFFile string
	// Test runs the harness after the linter.
	Test bool
	// Backend overrides the plan's test.backend ("" = the plan's).
	Backend string
	// Plan is a plan file ("" = the test: section of the config).
	Plan string
	// KindNodeImage is the node image of a kind cluster the harness creates.
	KindNodeImage string
	// ClusterName names (or reuses) the kind cluster.
	ClusterName string
	// KeepCluster leaves the kind cluster running after the step.
	KeepCluster bool
	// Timeout bounds the whole harness run (0 = the plan's).
	Timeout time.Duration
	// WorkingDirectory is relative to the workspace and must stay inside it.
	WorkingDirectory string
	// Version is "" (build the action's own source) or the version the
	// caller expects that source to be; action.yml checks it before running.
	Version string
	// DiffBase is a git ref; when set, the summary lists what the change
	// since that ref adds to or removes from every profile.
	DiffBase string
}

// Names of the inputs, as in action.yml.
const (
	InPaths            = "paths"
	InConfig           = "config"
	InFailOn           = "fail-on"
	InFormat           = "format"
	InSARIFFile        = "sarif-file"
	InTest             = "test"
	InBackend          = "backend"
	InPlan             = "plan"
	InKindNodeImage    = "kind-node-image"
	InClusterName      = "cluster-name"
	InKeepCluster      = "keep-cluster"
	InTimeout          = "timeout"
	InWorkingDirectory = "working-directory"
	InVersion          = "version"
	InDiffBase         = "diff-base"
)

// InputNames lists every input the action reads, in action.yml's order.
var InputNames = []string{
	InPaths, InConfig, InFailOn, InFormat, InSARIFFile, InTest, InBackend, InPlan,
	InKindNodeImage, InClusterName, InKeepCluster, InTimeout, InWorkingDirectory,
	InVersion, InDiffBase,
}

// Accepted values of the enumerated inputs.
var (
	FailOnValues  = []string{"error", "warning", "info", "never"}
	FormatValues  = []string{"text", "json", "sarif", "github"}
	BackendValues = []string{"local", "docker", "kind", "cluster"}
)

// MaxPaths bounds the paths input; a workflow lists directories, not files.
const MaxPaths = 1000

// ReadInputs reads and checks every input through get (go-githubactions'
// GetInput, which trims surrounding white space). All problems are
// reported together, each naming its input.
func ReadInputs(get func(name string) string) (*Inputs, error) {
	in := &Inputs{Format: "github"}
	var errs []error
	bad := func(name string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("input %s: %s", name, fmt.Sprintf(format, args...)))
	}
	choice := func(name string, dst *string, choices []string) {
		v := get(name)
		if v == "" {
			return
		}
		for _, c := range choices {
			if v == c {
				*dst = v
				return
			}
		}
		bad(name, "%q is not one of %s", v, strings.Join(choices, ", "))
	}
	boolean := func(name string, dst *bool) {
		v := get(name)
		if v == "" {
			return
		}
		b, ok := ParseBool(v)
		if !ok {
			bad(name, "%q is not a boolean (true or false)", v)
			return
		}
		*dst = b
	}
	plain := func(name string, dst *string) {
		v := get(name)
		if strings.ContainsAny(v, "\r\n\x00") {
			bad(name, "must be a single line")
			return
		}
		*dst = v
	}

	for _, line := range strings.Split(get(InPaths), "\n") {
		p := strings.TrimSpace(line)
		if p == "" {
			continue
		}
		if strings.ContainsRune(p, 0) {
			bad(InPaths, "a path contains a NUL byte")
			continue
		}
		in.Paths = append(in.Paths, p)
	}
	if len(in.Paths) > MaxPaths {
		bad(InPaths, "%d paths, more than the %d allowed; list directories instead", len(in.Paths), MaxPaths)
	}
	plain(InConfig, &in.Config)
	choice(InFailOn, &in.FailOn, FailOnValues)
	choice(InFormat, &in.Format, FormatValues)
	plain(InSARIFFile, &in.SARIFFile)
	boolean(InTest, &in.Test)
	choice(InBackend, &in.Backend, BackendValues)
	plain(InPlan, &in.Plan)
	plain(InKindNodeImage, &in.KindNodeImage)
	plain(InClusterName, &in.ClusterName)
	boolean(InKeepCluster, &in.KeepCluster)
	if v := get(InTimeout); v != "" {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			bad(InTimeout, "%q is not a duration such as 90s, 10m or 1h", v)
		case d <= 0:
			bad(InTimeout, "%q must be positive", v)
		default:
			in.Timeout = d
		}
	}
	plain(InWorkingDirectory, &in.WorkingDirectory)
	plain(InVersion, &in.Version)
	plain(InDiffBase, &in.DiffBase)
	if in.DiffBase != "" {
		if err := profdiff.CheckRef(in.DiffBase); err != nil {
			bad(InDiffBase, "%v", err)
		}
	}
	if !in.Test {
		// Harness-only inputs given without test: true are almost
		// certainly a mistake; say so rather than ignore them.
		for _, n := range []struct {
			name string
			set  bool
		}{
			{InBackend, in.Backend != ""}, {InPlan, in.Plan != ""},
			{InKindNodeImage, in.KindNodeImage != ""}, {InClusterName, in.ClusterName != ""},
			{InKeepCluster, in.KeepCluster}, {InTimeout, in.Timeout != 0},
		} {
			if n.set {
				bad(n.name, "only used with test: true")
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return in, nil
}

// ParseBool accepts the YAML 1.2 core schema booleans that actions/toolkit's
// getBooleanInput accepts: true, True, TRUE, false, False, FALSE.
func ParseBool(s string) (value, ok bool) {
	switch s {
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	}
	return false, false
}
