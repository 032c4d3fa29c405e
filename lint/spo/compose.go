package spo

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/seccomp"
)

// lintComposition runs the seccomp rules on the profile the operator
// composes for chain[0] and returns what only the composition shows: a
// finding that linting each profile of the chain alone also gives is the
// seccomp checker's to report. Each finding points at the file that wrote
// the entry at fault; one inside a pulled artifact points at the
// baseProfileName that brought it in, and says where in the artifact.
func lintComposition(chain Chain, rt seccomp.Runtime) []lint.Finding {
	if len(chain) < 2 {
		return nil
	}
	type key struct {
		rule      string
		link      int
		line, col int
	}
	alone := map[key]bool{}
	for i, l := range chain {
		for _, f := range seccomp.Lint(l.Profile, rt) {
			alone[key{f.Rule, i, f.Line, f.Column}] = true
		}
	}
	flat := flatten(chain, stride)
	head := chain[0].Profile
	var out []lint.Finding
	for _, f := range seccomp.Lint(flat.Profile, rt) {
		link, line := f.Line/stride, f.Line%stride
		if link >= len(chain) || alone[key{f.Rule, link, line, f.Column}] {
			continue
		}
		endLink, endLine := f.EndLine/stride, f.EndLine%stride
		f.Line = line
		if f.EndLine > 0 {
			if endLink == link {
				f.EndLine = endLine
			} else {
				f.EndLine, f.EndColumn = 0, 0
			}
		}
		f.Message = fixLineRefs(f.Message, chain, link)
		src := chain[link]
		if src.Remote != nil {
			// Not a file of the workspace: anchor at the baseProfileName of
			// the nearest workspace profile before it.
			j := link - 1
			for j > 0 && chain[j].Remote != nil {
				j--
			}
			at := chain[j].Profile
			sp := at.BaseProfileName.At
			f.Message = fmt.Sprintf("in base profile %s at %d:%d: %s", src.Source(), f.Line, f.Column, f.Message)
			f.File, f.Line, f.Column = at.File.Path, sp.Start.Line, sp.Start.Col
			f.EndLine, f.EndColumn = sp.End.Line, sp.End.Col
		} else {
			f.File = src.Profile.File.Path
		}
		f.Message = fmt.Sprintf("%s (in the profile the operator composes for %s: %s)", f.Message, chainHead(head), chain.Names())
		out = append(out, f)
	}
	return out
}

var lineRefRE = regexp.MustCompile(`\bline (\d+)`)

// fixLineRefs rewrites "line N" references of a composed-profile message
// into the line of the file that wrote it (naming the file when it is not
// the one the finding points into).
func fixLineRefs(msg string, chain Chain, self int) string {
	return lineRefRE.ReplaceAllStringFunc(msg, func(m string) string {
		n, err := strconv.Atoi(m[len("line "):])
		if err != nil {
			return m
		}
		link, line := n/stride, n%stride
		if link >= len(chain) {
			return m
		}
		if link == self {
			return "line " + strconv.Itoa(line)
		}
		return fmt.Sprintf("line %d of %s", line, chain[link].Source())
	})
}
