package apparmor

import (
	"os"
	"strings"
	"testing"
)

func TestSuppression(t *testing.T) {
	runRuleCases(t, "apparmor/broad-write", []ruleCase{
		{"same line", prof("  /** w, # secprof:ignore apparmor/broad-write the tool writes everywhere\n"), nil},
		{"line above", prof("  # secprof:ignore apparmor/broad-write the tool writes everywhere\n  /** w,\n"), nil},
		{"other rule", prof("  /** w, # secprof:ignore apparmor/raw-network nope\n"), []int{4}},
		{"two lines above", prof("  # secprof:ignore apparmor/broad-write too far\n\n  /** w,\n"), []int{6}},
		{"trailing comment of the line above", prof("  /tmp/** w, # secprof:ignore apparmor/broad-write\n  /** w,\n"), []int{5}},
		{"list", prof("  network, # secprof:ignore apparmor/raw-network,apparmor/broad-write why\n"), nil},
	})
	runRuleCases(t, "apparmor/unused-suppression", []ruleCase{
		{"used", prof("  /** w, # secprof:ignore apparmor/broad-write reason\n"), nil},
		{"unused", prof("  /tmp/** w, # secprof:ignore apparmor/broad-write reason\n"), []int{4}},
		{"no rule", prof("  # secprof:ignore\n  /tmp/** w,\n"), []int{4}},
		{"parser not run", prof("  # secprof:ignore apparmor/parser-rejected\n  /tmp/** w,\n"), nil},
		{"other marker", prof("  # secprof:ignored apparmor/broad-write\n  /tmp/** w,\n"), nil},
	})
}

// TestSuppressionDocExample lints the example of docs/apparmor.md: every
// suppression in it is used.
func TestSuppressionDocExample(t *testing.T) {
	b, err := os.ReadFile("../../docs/apparmor.md")
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	i := strings.Index(page, "```apparmor\nprofile backup-restore")
	if i < 0 {
		t.Fatal("example not found in docs/apparmor.md")
	}
	code := page[i+len("```apparmor\n"):]
	code = code[:strings.Index(code, "```")]
	if fs := lintPolicy(t, "include <tunables/global>\n"+code); len(fs) != 0 {
		t.Errorf("the documented example should lint clean:\n%s", dump(fs))
	}
}
