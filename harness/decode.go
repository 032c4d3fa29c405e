package harness

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxYAMLDepth bounds the recursion of the strict decoder; plans are shallow.
const maxYAMLDepth = 64

// maxYAMLNodes bounds the nodes visited, aliases expanded: nested aliases
// ("billion laughs") would otherwise make the walk exponential.
const maxYAMLNodes = 200000

// DecodeStrict decodes n into v (a pointer) like n.Decode, but first
// rejects mapping keys that the target struct types do not declare, with
// the key's line and column. yaml.v3's Node.Decode has no KnownFields
// switch, and unknown keys in a plan are errors, not silently ignored
// settings. Backends use it for their own sections (test.<backend>).
func DecodeStrict(file string, n *yaml.Node, v any) error {
	var errs PlanErrors
	budget := maxYAMLNodes
	checkKeys(file, n, reflect.TypeOf(v), 0, &budget, &errs)
	if len(errs) > 0 {
		return errs
	}
	if err := n.Decode(v); err != nil {
		return yamlDecodeError(file, n, err)
	}
	return nil
}

var unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

func checkKeys(file string, n *yaml.Node, t reflect.Type, depth int, budget *int, errs *PlanErrors) {
	if n == nil || t == nil || *budget < 0 {
		return
	}
	*budget--
	if *budget < 0 {
		*errs = append(*errs, PlanError{File: file, Line: n.Line, Column: n.Column, Msg: "the plan expands to too many nodes (aliases)"})
		return
	}
	if depth > maxYAMLDepth {
		*errs = append(*errs, PlanError{File: file, Line: n.Line, Column: n.Column, Msg: "nesting too deep"})
		return
	}
	if n.Kind == yaml.AliasNode {
		checkKeys(file, n.Alias, t, depth+1, budget, errs)
		return
	}
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			checkKeys(file, c, t, depth+1, budget, errs)
		}
		return
	}
	// Types that decode themselves validate their own keys.
	if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
		if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
			return
		}
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // the decoder reports the type mismatch
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Value == "<<" && k.Tag == "!!merge" {
				checkKeys(file, val, t, depth+1, budget, errs)
				continue
			}
			ft, ok := fields[k.Value]
			if !ok {
				*errs = append(*errs, PlanError{File: file, Line: k.Line, Column: k.Column,
					Msg: fmt.Sprintf("unknown key %q (known keys: %s)", k.Value, strings.Join(sortedKeys(fields), ", "))})
				continue
			}
			checkKeys(file, val, ft, depth+1, budget, errs)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for _, c := range n.Content {
			checkKeys(file, c, t.Elem(), depth+1, budget, errs)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 1; i < len(n.Content); i += 2 {
			checkKeys(file, n.Content[i], t.Elem(), depth+1, budget, errs)
		}
	}
}

// yamlFields maps the yaml keys of struct type t to their field types,
// following ",inline" fields.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range yamlFields(ft) {
					m[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		m[name] = f.Type
	}
	return m
}

func sortedKeys(m map[string]reflect.Type) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// yamlDecodeError turns yaml.v3's "line N: …" type errors into PlanErrors.
func yamlDecodeError(file string, n *yaml.Node, err error) error {
	var te *yaml.TypeError
	if ok := asTypeError(err, &te); ok {
		var errs PlanErrors
		for _, e := range te.Errors {
			errs = append(errs, lineError(file, n, e))
		}
		return errs
	}
	if pe, ok := err.(PlanErrors); ok {
		return pe
	}
	if pe, ok := err.(*PlanError); ok {
		return PlanErrors{*pe}
	}
	return PlanErrors{lineError(file, n, strings.TrimPrefix(err.Error(), "yaml: "))}
}

func asTypeError(err error, te **yaml.TypeError) bool {
	t, ok := err.(*yaml.TypeError)
	if ok {
		*te = t
	}
	return ok
}

// lineError parses yaml.v3's "line N: msg" prefix.
func lineError(file string, n *yaml.Node, msg string) PlanError {
	pe := PlanError{File: file, Msg: msg}
	if n != nil {
		pe.Line, pe.Column = n.Line, n.Column
	}
	var line int
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ": "); i > 0 {
			if _, err := fmt.Sscanf(rest[:i], "%d", &line); err == nil {
				pe.Line, pe.Column, pe.Msg = line, 0, rest[i+2:]
				// Our own unmarshalers add "column N: ".
				var col int
				if c, ok := strings.CutPrefix(pe.Msg, "column "); ok {
					if j := strings.Index(c, ": "); j > 0 {
						if _, err := fmt.Sscanf(c[:j], "%d", &col); err == nil {
							pe.Column, pe.Msg = col, c[j+2:]
						}
					}
				}
			}
		}
	}
	return pe
}

// PlanError is a problem in a plan, with its position.
type PlanError struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Msg    string `json:"message"`
}

func (e PlanError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// PlanErrors are all the problems found in a plan; the plan is rejected
// before anything runs when there is at least one.
type PlanErrors []PlanError

func (es PlanErrors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

func errAt(file string, n *yaml.Node, format string, args ...any) PlanError {
	e := PlanError{File: file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}
