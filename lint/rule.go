package lint

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Rule describes one rule. IDs are a public contract (docs/rules/<id>.md):
// never rename or reuse one.
type Rule struct {
	ID       string   // "<kind>/<name>", e.g. "seccomp/dangerous-syscall"
	Severity Severity // default severity; a finding may override it
	Summary  string   // one line, shown by `secprof rules`
}

// Kind is the part of the ID before the slash.
func (r Rule) Kind() string {
	k, _, _ := strings.Cut(r.ID, "/")
	return k
}

var (
	rulesMu sync.RWMutex
	rules   = map[string]Rule{}
)

// RegisterRules records rule metadata; checkers call it from init so that
// `secprof rules`, SARIF and severity defaults see every rule. A duplicate ID
// is a programming error.
func RegisterRules(rs ...Rule) {
	rulesMu.Lock()
	defer rulesMu.Unlock()
	for _, r := range rs {
		if _, dup := rules[r.ID]; dup {
			panic(fmt.Sprintf("lint: rule %s registered twice", r.ID))
		}
		if r.Severity == SeverityUnset {
			panic(fmt.Sprintf("lint: rule %s has no default severity", r.ID))
		}
		rules[r.ID] = r
	}
}

// LookupRule returns the metadata of a registered rule.
func LookupRule(id string) (Rule, bool) {
	rulesMu.RLock()
	defer rulesMu.RUnlock()
	r, ok := rules[id]
	return r, ok
}

// AllRules returns every registered rule sorted by ID.
func AllRules() []Rule {
	rulesMu.RLock()
	defer rulesMu.RUnlock()
	out := make([]Rule, 0, len(rules))
	for _, r := range rules {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
