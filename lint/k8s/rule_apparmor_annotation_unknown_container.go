package k8s

import (
	"sort"
	"strings"

	"github.com/secprof/secprof/lint"
)

// The AppArmor annotation names its container in the key
// (container.apparmor.security.beta.kubernetes.io/<container>). A key that
// names no container of the pod configures nothing, silently: the
// container it was meant for runs with the runtime's default, or without
// AppArmor.
func init() {
	register(&rule{
		Rule: lint.Rule{ID: RuleAppArmorAnnotationUnknownContainer, Severity: lint.Error,
			Summary: "an AppArmor annotation names no container of the pod, so it does nothing"},
		check: checkAppArmorAnnotationUnknownContainer,
	})
}

func checkAppArmorAnnotationUnknownContainer(c *checkCtx, w *Workload) []lint.Finding {
	var out []lint.Finding
	for _, a := range annotations(w.Meta, true) {
		name, ok := strings.CutPrefix(a.Key, AppArmorContainerAnnotationPrefix)
		if !ok || w.Container(name) != nil {
			continue
		}
		names := make([]string, 0, len(w.Containers))
		for _, ct := range w.Containers {
			if ct.Name != "" {
				names = append(names, ct.Name)
			}
		}
		sort.Strings(names)
		have := "the pod has no named containers"
		if len(names) > 0 {
			have = "its containers are " + quoteList(names)
		}
		f := c.at(a.KeyNode, RuleAppArmorAnnotationUnknownContainer,
			"annotation %s names container %s, which %s does not have (%s): it configures nothing", a.Key, quote(name), w.Ref(), have)
		if guess := closest(name, names); guess != "" {
			f = f.WithFix("did you mean %s%s?", AppArmorContainerAnnotationPrefix, guess)
		}
		out = append(out, f)
	}
	return out
}

// closest returns the name within edit distance 2 of s (a typo), or "".
func closest(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(s, n, bestD); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, or max when it is
// at least max (container names are short; the bound keeps it cheap).
func editDistance(a, b string, max int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d >= max || -d >= max {
		return max
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	if prev[len(rb)] >= max {
		return max
	}
	return prev[len(rb)]
}
