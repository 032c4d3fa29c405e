package apparmor

import (
	"strings"
)

// Inline suppression: `# secprof:ignore RULE-ID[,RULE-ID...] reason` on the
// line of a finding, or alone on the line above it. A suppression that
// suppresses nothing is reported as apparmor/unused-suppression.

const suppressMarker = "secprof:ignore"

type suppression struct {
	sp     Span
	line   int
	alone  bool // the comment is the only thing on its line
	rules  []string
	reason string
	used   bool
}

func parseSuppressions(f *File) []*suppression {
	var out []*suppression
	for _, c := range f.Comments {
		text := strings.TrimSpace(c.Text)
		if !strings.HasPrefix(text, suppressMarker) {
			continue
		}
		rest := strings.TrimPrefix(text, suppressMarker)
		if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
			continue // e.g. secprof:ignored
		}
		fields := strings.Fields(rest)
		s := &suppression{sp: c.Span, line: c.Start.Line, alone: aloneOnLine(f.Src, c.Start.Offset)}
		if len(fields) > 0 {
			for _, id := range strings.Split(fields[0], ",") {
				if id = strings.TrimSpace(id); id != "" {
					s.rules = append(s.rules, id)
				}
			}
			s.reason = strings.Join(fields[1:], " ")
		}
		out = append(out, s)
	}
	return out
}

// aloneOnLine reports whether only blanks precede off on its line.
func aloneOnLine(src []byte, off int) bool {
	for i := off - 1; i >= 0 && i < len(src); i-- {
		switch src[i] {
		case '\n':
			return true
		case ' ', '\t', '\r':
		default:
			return false
		}
	}
	return true
}

func (s *suppression) covers(x finding) bool {
	line := x.sp.Start.Line
	if line != s.line && !(s.alone && line == s.line+1) {
		return false
	}
	for _, id := range s.rules {
		if id == x.rule {
			return true
		}
	}
	return false
}

// applySuppressions drops suppressed findings and reports unused
// suppressions. A suppression of apparmor/parser-rejected is not called
// unused when apparmor_parser did not run.
func applySuppressions(f *File, fs []finding, parserRan bool) []finding {
	sups := parseSuppressions(f)
	if len(sups) == 0 {
		return fs
	}
	out := fs[:0]
	for _, x := range fs {
		suppressed := false
		for _, s := range sups {
			if s.covers(x) {
				s.used = true
				suppressed = true
			}
		}
		if !suppressed {
			out = append(out, x)
		}
	}
	for _, s := range sups {
		switch {
		case len(s.rules) == 0:
			out = append(out, finding{rule: ruleUnusedSuppression, sp: s.sp, msg: "suppression names no rule: write # secprof:ignore RULE-ID reason",
				fix: "name the rule to ignore, e.g. # secprof:ignore apparmor/broad-write why it is needed"})
		case s.used:
		case !parserRan && len(s.rules) == 1 && s.rules[0] == ruleParserRejected:
		default:
			what := "the line"
			if s.alone {
				what = "this line or the next"
			}
			out = append(out, finding{rule: ruleUnusedSuppression, sp: s.sp,
				msg: sprintf("suppression of %s matches no finding on %s", strings.Join(s.rules, ", "), what),
				fix: "remove the comment, or move it onto or just above the line it is meant for"})
		}
	}
	return out
}
