package seccomp

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/xeipuuv/gojsonschema"

	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/jsonpos"
	"github.com/secprof/secprof/schemas"
)

// RuleSchema is reported by ParseFile for schema violations (unknown field,
// wrong type, invalid enum value) and duplicate keys.
const RuleSchema = "seccomp/schema"

func init() {
	register(lint.Rule{ID: RuleSchema, Severity: lint.Error,
		Summary: "the profile does not match the JSON Schema of its format (unknown field, wrong type, invalid action/operator/architecture/flag)"}, nil)
}

var (
	schemaMu    sync.Mutex
	schemaCache = map[string]*gojsonschema.Schema{}
)

func compiled(name string) (*gojsonschema.Schema, error) {
	schemaMu.Lock()
	defer schemaMu.Unlock()
	if s, ok := schemaCache[name]; ok {
		return s, nil
	}
	b, ok := schemas.Get(name)
	if !ok {
		return nil, fmt.Errorf("schema %s is not embedded", name)
	}
	s, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(b))
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	schemaCache[name] = s
	return s, nil
}

// validate checks root against the embedded schema and maps each violation
// to the node it concerns: an unknown field to its key, a wrong type or
// enum value to the value, a missing field to the object. Duplicate keys,
// which JSON Schema cannot see, are reported too (runtimes keep the last).
func validate(f *lint.File, schemaName string, root *jsonpos.Node, prefix string) []lint.Finding {
	var out []lint.Finding
	add := func(sp lint.Span, format string, args ...any) *lint.Finding {
		out = append(out, lint.At(f.Path, RuleSchema, sp, prefix+format, args...))
		return &out[len(out)-1]
	}
	walkDuplicates(root, func(fd *jsonpos.Field) {
		add(keySpan(fd), "duplicate key %q: runtimes silently use the last one", fd.Key).Severity = lint.Warning
	})
	s, err := compiled(schemaName)
	if err != nil {
		add(span(root), "internal error: %v", err)
		return out
	}
	res, err := s.Validate(gojsonschema.NewRawLoader(root.Interface()))
	if err != nil {
		add(span(root), "cannot validate: %v", err)
		return out
	}
	errs := res.Errors()
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Context().String() < errs[j].Context().String() })
	for _, e := range errs {
		path := splitContext(e.Context())
		n, fd := lookup(root, path)
		if n == nil {
			n = root
		}
		where := displayPath(path)
		switch e.Type() {
		case "additional_property_not_allowed":
			prop, _ := e.Details()["property"].(string)
			sp := span(n)
			if k := n.Get(prop); k != nil {
				sp = keySpan(k)
			}
			fi := add(sp, "unknown field %q%s", prop, inObject(where))
			if s := nearest(prop, knownKeys, max(1, min(3, len(prop)/4))); s != "" {
				fi.Message += fmt.Sprintf(" (did you mean %q?)", s)
				fi.Fix = fmt.Sprintf("rename %q to %q", prop, s)
			} else {
				fi.Message += ": runtimes silently ignore it"
			}
		case "required":
			prop, _ := e.Details()["property"].(string)
			if prop == "names" || prop == "name" {
				continue // a branch of the anyOf below, which says it better
			}
			add(openSpan(n, fd), "missing required field %q%s", prop, inObject(where))
		case "number_any_of":
			if len(path) >= 2 && path[len(path)-2] == "syscalls" {
				add(openSpan(n, fd), "rule %s has no \"names\": it matches no syscall", where)
			} else {
				add(span(n), "%s: %s", where, e.Description())
			}
		case "invalid_type":
			add(span(n), "%s must be %s, not %s", where, typeName(e.Details()["expected"]), typeName(e.Details()["given"]))
		case "enum":
			if isArchPath(path) {
				continue // seccomp/unknown-architecture says it, with a suggestion
			}
			allowed := enumValues(e.Details()["allowed"])
			sug := ""
			if n.Kind == jsonpos.String {
				sug = nearest(n.Str, allowed, max(3, len(n.Str)/3))
			}
			if sug == "" {
				add(span(n), "%s: %s is not one of %s", where, showValue(n), strings.Join(allowed, ", "))
				continue
			}
			add(span(n), "%s: %q is not valid (did you mean %q?)", where, n.Str, sug).Fix = fmt.Sprintf("use %q", sug)
		default:
			add(span(n), "%s: %s", where, e.Description())
		}
	}
	return out
}

func walkDuplicates(n *jsonpos.Node, fn func(*jsonpos.Field)) {
	if n == nil {
		return
	}
	for _, d := range n.Duplicates() {
		fn(d)
	}
	for _, f := range n.Fields {
		walkDuplicates(f.Value, fn)
	}
	for _, e := range n.Elems {
		walkDuplicates(e, fn)
	}
}

// splitContext turns gojsonschema's "(root).syscalls.0.action" into its
// parts; a separator no key can hold keeps dotted keys whole.
func splitContext(c *gojsonschema.JsonContext) []string {
	const sep = "\x00"
	parts := strings.Split(c.String(sep), sep)
	if len(parts) > 0 && parts[0] == "(root)" {
		parts = parts[1:]
	}
	return parts
}

// lookup follows path from root; fd is the member holding the result when
// it is an object member.
func lookup(root *jsonpos.Node, path []string) (n *jsonpos.Node, fd *jsonpos.Field) {
	n = root
	for _, p := range path {
		switch n.Kind {
		case jsonpos.Object:
			fd = n.Get(p)
			if fd == nil {
				return nil, nil
			}
			n = fd.Value
		case jsonpos.Array:
			i := 0
			if _, err := fmt.Sscanf(p, "%d", &i); err != nil || i < 0 || i >= len(n.Elems) {
				return nil, nil
			}
			n, fd = n.Elems[i], nil
		default:
			return nil, nil
		}
	}
	return n, fd
}

// displayPath renders a path as written in the profile: syscalls[3].action.
func displayPath(path []string) string {
	var b strings.Builder
	for _, p := range path {
		if p != "" && p[0] >= '0' && p[0] <= '9' {
			b.WriteString("[" + p + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	if b.Len() == 0 {
		return "the profile"
	}
	return b.String()
}

func inObject(where string) string {
	if where == "the profile" {
		return ""
	}
	return " in " + where
}

// openSpan points at an object's key when it has one, else its opening
// brace: a missing field has no position of its own.
func openSpan(n *jsonpos.Node, fd *jsonpos.Field) lint.Span {
	if fd != nil {
		return keySpan(fd)
	}
	s := lpos(n.Start)
	return lint.Span{Start: s, End: lint.Pos{Line: s.Line, Col: s.Col + 1}}
}

func isArchPath(path []string) bool {
	if len(path) == 0 {
		return false
	}
	k := path[len(path)-1]
	if len(path) >= 2 && k[0] >= '0' && k[0] <= '9' {
		k = path[len(path)-2]
	}
	return k == "architectures" || k == "architecture" || k == "subArchitectures"
}

func typeName(v any) string {
	s := fmt.Sprint(v)
	switch s {
	case "integer":
		return "an integer"
	case "object", "array":
		return "an " + s
	case "null":
		return "null"
	}
	if strings.Contains(s, "/") {
		return "an " + strings.ReplaceAll(s, "/", " or ")
	}
	return "a " + s
}

func showValue(n *jsonpos.Node) string {
	if n.Kind == jsonpos.String {
		return fmt.Sprintf("%q", n.Str)
	}
	return n.Str
}

// enumValues extracts the allowed values from gojsonschema's detail string
// (`"A", "B"`).
func enumValues(v any) []string {
	s := fmt.Sprint(v)
	var out []string
	for _, part := range strings.Split(s, ",") {
		part = strings.Trim(strings.TrimSpace(part), `"`)
		if part != "" {
			out = append(out, part)
		}
	}
	return out
}

// knownKeys are all keys the seccomp schemas declare, for "did you mean".
var knownKeys = []string{
	"defaultAction", "defaultErrnoRet", "defaultErrno", "architectures", "archMap", "flags",
	"listenerPath", "listenerMetadata", "syscalls", "names", "name", "action", "errnoRet", "errno",
	"args", "comment", "includes", "excludes", "index", "value", "valueTwo", "op", "caps", "arches",
	"minKernel", "architecture", "subArchitectures", "baseProfileName", "disabled", "apiVersion",
	"kind", "metadata", "spec", "status",
}

// nearest returns the candidate closest to s by edit distance (case
// differences count little), or "" when none is within limit.
func nearest(s string, candidates []string, limit int) string {
	best, bestD := "", limit+1
	for _, c := range candidates {
		if c == s {
			continue
		}
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if d == 0 {
			d = 1 // differs only in case: a likely match
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance with transpositions (optimal
// string alignment), in two rows of memory.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		if a == b {
			return 0
		}
		return 1 << 20
	}
	prev2 := make([]int, len(rb)+1)
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
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
