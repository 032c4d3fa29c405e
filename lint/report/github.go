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

// AnnotationsCut returns how many findings GitHub writes no annotation
// for with this per-severity limit (0 means MaxAnnotations).
func AnnotationsCut(fs []lint.Finding, limit int) int {
	if limit == 0 {
		limit = MaxAnnotations
	}
	_, cut := annotationPlan(fs, limit)
	return cut
}

// annotationPlan decides which findings get an annotation. The notice about
// cut findings is itself an annotation: it takes one of the notice slots, so
// GitHub never drops it.
func annotationPlan(fs []lint.Finding, limit int) (annotate []bool, cut int) {
	annotate = make([]bool, len(fs))
	class := func(s lint.Severity) lint.Severity {
		if s != lint.Error && s != lint.Warning {
			return lint.Info
		}
		return s
	}
	total := map[lint.Severity]int{}
	for _, f := range fs {
		total[class(f.Severity)]++
	}
	max := map[lint.Severity]int{lint.Error: limit, lint.Warning: limit, lint.Info: limit}
	if limit > 0 && (total[lint.Error] > limit || total[lint.Warning] > limit || total[lint.Info] > limit) {
		max[lint.Info] = limit - 1
	}
	shown := map[lint.Severity]int{}
	for i, f := range fs {
		sev := class(f.Severity)
		if limit > 0 && shown[sev] >= max[sev] {
			cut++
			continue
		}
		shown[sev]++
		annotate[i] = true
	}
	return annotate, cut
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
	annotate, cut := annotationPlan(in.Findings, limit)
	for i, f := range in.Findings {
		if !annotate[i] {
			continue
		}
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
		a.Noticef("%s", fmt.Sprintf("secprof: %d more findings were not annotated (GitHub shows at most %d per severity and step); %s", cut, limit, hint))
	}
	return nil
}
