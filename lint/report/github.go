package report

import (
	"fmt"
	"io"
	"strconv"

	"github.com/sethvargo/go-githubactions"

	"github.com/secprof/secprof/lint"
)

// MaxAnnotations is what GitHub shows per step and severity; more are
// dropped silently by GitHub, so we cut them ourselves and say so.
const MaxAnnotations = 10

// GitHubOptions tune the github format.
type GitHubOptions struct {
	// Limit per severity; 0 means MaxAnnotations, negative means no limit.
	Limit int
	// SARIFHint names the SARIF file to point at when findings were cut.
	SARIFHint string
}

// GitHub writes one workflow-command annotation per finding through
// go-githubactions, which escapes %, CR, LF (and, in properties, : and ,)
// so that no file name or message can inject a workflow command.
func GitHub(w io.Writer, in Input, opt GitHubOptions) (err error) {
	// go-githubactions panics when it cannot write; report that as an error.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("writing annotations: %v", r)
		}
	}()
	a := githubactions.New(githubactions.WithWriter(w))
	limit := opt.Limit
	if limit == 0 {
		limit = MaxAnnotations
	}
	shown := map[lint.Severity]int{}
	cut := 0
	for _, f := range in.Findings {
		if limit > 0 && shown[f.Severity] >= limit {
			cut++
			continue
		}
		shown[f.Severity]++
		props := map[string]string{
			"file":  f.File,
			"line":  strconv.Itoa(f.Line),
			"col":   strconv.Itoa(f.Column),
			"title": f.Rule,
		}
		if f.EndLine > 0 {
			props["endLine"] = strconv.Itoa(f.EndLine)
		}
		if f.EndColumn > 0 && f.EndLine == f.Line {
			props["endColumn"] = strconv.Itoa(f.EndColumn)
		}
		msg := f.Message
		if f.Fix != "" {
			msg += "\nfix: " + f.Fix
		}
		aa := a.WithFieldsMap(props)
		// the message goes in as an argument, never as the format string
		switch f.Severity {
		case lint.Error:
			aa.Errorf("%s", msg)
		case lint.Warning:
			aa.Warningf("%s", msg)
		default:
			aa.Noticef("%s", msg)
		}
	}
	if cut > 0 {
		hint := "the full list is in the text or JSON output"
		if opt.SARIFHint != "" {
			hint = "the full list is in " + opt.SARIFHint
		}
		a.Warningf("%s", fmt.Sprintf("secprof: %d more findings were not annotated (GitHub shows at most %d per severity and step); %s", cut, limit, hint))
	}
	return nil
}
