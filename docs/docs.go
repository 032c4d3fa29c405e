// Package docs embeds the documentation that the binary prints: one page per
// lint rule under rules/<kind>/<name>.md. Every page has a "## Bad" and a
// "## Good" section with a fenced example; lint/linttest checks that the
// bad example triggers the rule and the good one does not.
package docs

import (
	"embed"
	"io/fs"
	"strings"
)

//go:embed rules
var rules embed.FS

// Rule returns the markdown page of a rule ID such as "seccomp/parse".
func Rule(id string) (string, bool) {
	if strings.Contains(id, "..") {
		return "", false
	}
	b, err := fs.ReadFile(rules, "rules/"+id+".md")
	if err != nil {
		return "", false
	}
	return string(b), true
}

// Example is one fenced block of a rule page.
type Example struct {
	Section string // "Bad" or "Good"
	Lang    string // the fence's info string, e.g. "json", "yaml", "apparmor"
	// Name is taken from the info string's second word when present
	// ("yaml pod.yaml"), so an example can say what file it stands for.
	Name string
	Code string
	Line int // line of the opening fence in the page
}

// Examples returns the fenced blocks under the "## Bad" and "## Good"
// headings of a page.
func Examples(page string) []Example {
	var out []Example
	section := ""
	lines := strings.Split(page, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "## ") {
			section = strings.TrimSpace(l[3:])
			continue
		}
		if !strings.HasPrefix(l, "```") || (section != "Bad" && section != "Good") {
			continue
		}
		info := strings.Fields(strings.TrimPrefix(l, "```"))
		ex := Example{Section: section, Line: i + 1}
		if len(info) > 0 {
			ex.Lang = info[0]
		}
		if len(info) > 1 {
			ex.Name = info[1]
		}
		var code []string
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			code = append(code, lines[i])
		}
		ex.Code = strings.Join(code, "\n") + "\n"
		out = append(out, ex)
	}
	return out
}
