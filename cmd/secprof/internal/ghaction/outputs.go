package ghaction

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// Outputs are the action's outputs (action.yml), a public contract.
type Outputs struct {
	Findings    int
	Errors      int
	Warnings    int
	SARIFFile   string
	Tested      bool
	TestsPassed int
	TestsFailed int
	JUnitFile   string
	// Diffed is set when diff-base was given; DiffHigh counts its
	// high-risk items.
	Diffed   bool
	DiffHigh int
}

// Pairs returns the outputs as name/value pairs in action.yml's order.
// Outputs of steps that did not run are empty strings, so a workflow can
// tell "not run" from "0".
func (o Outputs) Pairs() [][2]string {
	num := strconv.Itoa
	tests := func(n int) string {
		if !o.Tested {
			return ""
		}
		return num(n)
	}
	diff := ""
	if o.Diffed {
		diff = num(o.DiffHigh)
	}
	return [][2]string{
		{"findings", num(o.Findings)},
		{"errors", num(o.Errors)},
		{"warnings", num(o.Warnings)},
		{"sarif-file", o.SARIFFile},
		{"tests-passed", tests(o.TestsPassed)},
		{"tests-failed", tests(o.TestsFailed)},
		{"junit-file", o.JUnitFile},
		{"diff-high", diff},
	}
}

// OutputNames lists the outputs, as in action.yml.
func OutputNames() []string {
	var names []string
	for _, p := range (Outputs{}).Pairs() {
		names = append(names, p[0])
	}
	return names
}

// fileCommandDelimiter is the heredoc delimiter go-githubactions writes
// around every value in GITHUB_OUTPUT. A value holding it could end its
// own entry early and define other outputs, so such values are refused.
const fileCommandDelimiter = "_GitHubActionsFileCommandDelimeter_"

var outputName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// CheckOutput refuses a name or value that could corrupt the
// GITHUB_OUTPUT file.
func CheckOutput(name, value string) error {
	if !outputName.MatchString(name) {
		return fmt.Errorf("output name %q is not a valid identifier", name)
	}
	if strings.Contains(value, fileCommandDelimiter) {
		return fmt.Errorf("output %s: the value contains the file command delimiter", name)
	}
	if strings.ContainsRune(value, 0) {
		return fmt.Errorf("output %s: the value contains a NUL byte", name)
	}
	return nil
}

// SetOutputs writes pairs with go-githubactions' SetOutput (the
// GITHUB_OUTPUT file). Without GITHUB_OUTPUT (a run outside GitHub) it
// prints them to the log instead.
func SetOutputs(a *githubactions.Action, pairs [][2]string) (err error) {
	for _, p := range pairs {
		if err := CheckOutput(p[0], p[1]); err != nil {
			return err
		}
	}
	if a.Getenv("GITHUB_OUTPUT") == "" {
		for _, p := range pairs {
			a.Infof("%s", "output "+p[0]+"="+strconv.Quote(p[1]))
		}
		return nil
	}
	defer recoverFileCommand(&err, "GITHUB_OUTPUT")
	for _, p := range pairs {
		a.SetOutput(p[0], p[1])
	}
	return nil
}

// MaxSummary is GitHub's limit on one step's job summary.
const MaxSummary = 1 << 20

// AddSummary appends markdown to the job summary (GITHUB_STEP_SUMMARY);
// without it (outside GitHub) it does nothing. Markdown longer than
// MaxSummary is cut at a line boundary with a note, as GitHub would reject
// the whole summary.
func AddSummary(a *githubactions.Action, markdown string) (err error) {
	if a.Getenv("GITHUB_STEP_SUMMARY") == "" {
		return nil
	}
	const note = "\n\n*(summary cut: it exceeded GitHub's 1 MiB limit; see the log and the SARIF file)*\n"
	if len(markdown) > MaxSummary {
		cut := markdown[:MaxSummary-len(note)]
		if i := strings.LastIndexByte(cut, '\n'); i > 0 {
			cut = cut[:i]
		}
		markdown = cut + note
	}
	defer recoverFileCommand(&err, "GITHUB_STEP_SUMMARY")
	a.AddStepSummary(markdown)
	return nil
}

// recoverFileCommand turns go-githubactions' panic on an unwritable file
// into an error.
func recoverFileCommand(err *error, file string) {
	if r := recover(); r != nil {
		e, ok := r.(error)
		if !ok {
			e = fmt.Errorf("%v", r)
		}
		*err = fmt.Errorf("writing %s: %w", file, e)
	}
}

// ErrNotInWorkspace is returned for a working directory outside the
// workspace.
var ErrNotInWorkspace = errors.New("outside the workspace")
