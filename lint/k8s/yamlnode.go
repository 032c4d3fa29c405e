package k8s

import (
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/secprof/secprof/lint"
)

// maxAliasHops bounds how many aliases a lookup follows; yaml.v3 already
// refuses alias cycles, this only keeps every walk obviously finite.
const maxAliasHops = 16

// deref follows aliases to the node they stand for.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxAliasHops; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

// get returns the key and value nodes of key in mapping m (aliases
// followed), or nils. Like the JSON decoding kubectl does, the last
// occurrence of a repeated key wins; `<<` merge keys are honoured.
func get(m *yaml.Node, key string) (k, v *yaml.Node) {
	return getDepth(m, key, 0)
}

func getDepth(m *yaml.Node, key string, depth int) (k, v *yaml.Node) {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode || depth > maxAliasHops {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if kn := m.Content[i]; kn.Kind == yaml.ScalarNode && kn.Value == key && kn.Tag != "!!merge" {
			k, v = kn, deref(m.Content[i+1])
		}
	}
	if k != nil {
		return k, v
	}
	// Explicit keys win over merged ones; among merged maps the first wins.
	for i := 0; i+1 < len(m.Content); i += 2 {
		if kn := m.Content[i]; kn.Kind == yaml.ScalarNode && kn.Tag == "!!merge" {
			src := deref(m.Content[i+1])
			if src == nil {
				continue
			}
			srcs := []*yaml.Node{src}
			if src.Kind == yaml.SequenceNode {
				srcs = src.Content
			}
			for _, s := range srcs {
				if k, v = getDepth(s, key, depth+1); k != nil {
					return k, v
				}
			}
		}
	}
	return nil, nil
}

// value returns the value node of key in m.
func value(m *yaml.Node, key string) *yaml.Node {
	_, v := get(m, key)
	return v
}

// scalar returns the text of a scalar node and whether n is one (null is
// not a string).
func scalar(n *yaml.Node) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return "", false
	}
	return n.Value, true
}

// str returns the string value of key in m ("" when absent or not a scalar).
func str(m *yaml.Node, key string) string {
	s, _ := scalar(value(m, key))
	return s
}

// boolValue reads a boolean the way kubectl does: it converts YAML to JSON
// with YAML 1.1 rules, so an unquoted yes/on/y count as true too.
func boolValue(n *yaml.Node) (v, ok bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		return false, false
	}
	switch n.Value {
	case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y":
		return true, true
	case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N":
		return false, true
	}
	return false, false
}

// items returns the elements of a sequence (nil for anything else).
func items(n *yaml.Node) []*yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// spanOf returns where node n is written in f. The end is known for
// scalars that fit on one line, which is what a caret underlines.
func spanOf(f *lint.File, n *yaml.Node) lint.Span {
	if n == nil || n.Line < 1 {
		return lint.Span{Start: lint.Pos{Line: 1, Col: 1}}
	}
	sp := lint.Span{Start: lint.Pos{Line: n.Line, Col: n.Column}}
	if n.Kind != yaml.ScalarNode {
		return sp
	}
	if w := scalarWidth(f.Line(n.Line), n); w > 0 {
		sp.End = lint.Pos{Line: n.Line, Col: n.Column + w}
	}
	return sp
}

// scalarWidth is the number of characters the scalar n occupies on its
// source line, quotes included, or 0 when unknown (block scalars,
// multi-line values).
func scalarWidth(line string, n *yaml.Node) int {
	rs := []rune(line)
	start := n.Column - 1
	if start < 0 || start >= len(rs) {
		return 0
	}
	rest := rs[start:]
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		if len(rest) == 0 || rest[0] != '"' {
			return 0
		}
		for i := 1; i < len(rest); i++ {
			switch rest[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return 0
	case n.Style&yaml.SingleQuotedStyle != 0:
		if len(rest) == 0 || rest[0] != '\'' {
			return 0
		}
		for i := 1; i < len(rest); i++ {
			if rest[i] == '\'' {
				if i+1 < len(rest) && rest[i+1] == '\'' {
					i++
					continue
				}
				return i + 1
			}
		}
		return 0
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return 0
	}
	if strings.ContainsAny(n.Value, "\n") || !strings.HasPrefix(string(rest), n.Value) {
		return 0
	}
	return utf8.RuneCountInString(n.Value)
}
