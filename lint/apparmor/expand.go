package apparmor

import (
	"errors"
	"strings"
)

// Bounds on variable expansion: a variable whose values reference other
// variables with several values each multiplies; AppArmor keeps them as
// alternations, so growth is additive, but a hostile file can still nest.
const (
	maxExpandLen   = 64 << 10 // characters in one expanded string
	maxExpandDepth = 32       // variables referencing variables
	maxExpandTotal = 32 << 20 // characters produced for one policy
)

var (
	errExpandTooLarge = errors.New("variable expansion too large")
	errExpandTooDeep  = errors.New("variables nested too deep")
)

// vars holds the set variables (@{NAME}) of a policy and expands
// references the way apparmor_parser does: a variable with several values
// becomes the alternation {v1,v2}.
type vars struct {
	vals     map[string][]string
	expanded map[string]string
	bools    map[string]string
	total    int // characters produced so far
}

func newVars() *vars {
	return &vars{vals: map[string][]string{}, expanded: map[string]string{}, bools: map[string]string{}}
}

func (v *vars) defined(name string) bool {
	_, ok := v.vals[name]
	return ok || builtinVars[name]
}

// refs returns the variable names referenced as @{NAME} in s.
func refs(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "@{")
		if i < 0 {
			return out
		}
		s = s[i+2:]
		j := strings.IndexByte(s, '}')
		if j < 0 {
			return out
		}
		if validVarName(s[:j]) {
			out = append(out, s[:j])
		}
		s = s[j+1:]
	}
}

// expand replaces every @{NAME} in s. Undefined names are left as written
// (the caller reports them); built-in variables expand to a wildcard.
func (v *vars) expand(s string) (string, error) {
	return v.expandDepth(s, nil)
}

func (v *vars) expandDepth(s string, stack []string) (string, error) {
	if !strings.Contains(s, "@{") {
		return s, nil
	}
	if len(stack) > maxExpandDepth {
		return "", errExpandTooDeep
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "@{")
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			break
		}
		name := s[i+2 : i+j]
		b.WriteString(s[:i])
		s = s[i+j+1:]
		val, err := v.value(name, stack)
		if err != nil {
			return "", err
		}
		if val == "" && !v.defined(name) {
			b.WriteString("@{" + name + "}")
		} else {
			b.WriteString(val)
		}
		if b.Len() > maxExpandLen {
			return "", errExpandTooLarge
		}
	}
	v.total += b.Len()
	if v.total > maxExpandTotal {
		return "", errExpandTooLarge
	}
	return b.String(), nil
}

// value returns the expansion of one variable.
func (v *vars) value(name string, stack []string) (string, error) {
	if x, ok := v.expanded[name]; ok {
		return x, nil
	}
	vals, ok := v.vals[name]
	if !ok {
		if builtinVars[name] {
			// known only when the profile is compiled; any single segment
			return "*", nil
		}
		return "", nil
	}
	for _, s := range stack {
		if s == name {
			return "", &recursiveVarError{name: name, by: stack[len(stack)-1]}
		}
	}
	stack = append(stack, name)
	parts := make([]string, 0, len(vals))
	total := 0
	for _, x := range vals {
		e, err := v.expandDepth(x, stack)
		if err != nil {
			return "", err
		}
		total += len(e) + 1
		if total > maxExpandLen {
			return "", errExpandTooLarge
		}
		parts = append(parts, e)
	}
	var out string
	if len(parts) == 1 {
		out = parts[0]
	} else {
		out = "{" + strings.Join(parts, ",") + "}"
	}
	v.expanded[name] = out
	return out, nil
}

type recursiveVarError struct{ name, by string }

func (e *recursiveVarError) Error() string {
	return "variable @{" + e.name + "} is referenced recursively (by @{" + e.by + "})"
}
