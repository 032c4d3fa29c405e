package seccomp

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/jsonpos"
)

// fromYAML converts a yaml.v3 document into the same position tree the JSON
// parser builds, so that the schema, the model and the rules see one shape
// whatever the input format. yaml.v3 gives start positions (columns count
// characters); end positions are recovered from the source text.
func fromYAML(f *lint.File, doc *yaml.Node) (*jsonpos.Node, error) {
	c := &yconv{f: f}
	n := doc
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil, nil
		}
		n = n.Content[0]
	}
	return c.node(n, 0)
}

type yconv struct {
	f     *lint.File
	count int
	// expanding holds the anchors being expanded, to refuse an alias
	// inside its own anchor instead of expanding it until the budget runs out.
	expanding map[*yaml.Node]bool
}

var errYAMLTooBig = errors.New("invalid YAML: the document expands to too many nodes or nests too deeply (aliases?)")

func (c *yconv) pos(line, col int) jsonpos.Pos {
	return jsonpos.Pos{Line: line, Col: col}
}

func (c *yconv) node(n *yaml.Node, depth int) (*jsonpos.Node, error) {
	c.count++
	if c.count > maxYAMLNodes || depth > maxYAMLDepth {
		return nil, errYAMLTooBig
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return &jsonpos.Node{Kind: jsonpos.Null, Start: c.pos(n.Line, n.Column), End: c.pos(n.Line, n.Column+1)}, nil
		}
		if c.expanding[n.Alias] {
			return nil, fmt.Errorf("invalid YAML: line %d: alias *%s refers to its own anchor", n.Line, n.Value)
		}
		if c.expanding == nil {
			c.expanding = map[*yaml.Node]bool{}
		}
		c.expanding[n.Alias] = true
		defer delete(c.expanding, n.Alias)
		return c.node(n.Alias, depth+1)
	}
	out := &jsonpos.Node{Start: c.pos(n.Line, n.Column)}
	switch n.Kind {
	case yaml.MappingNode:
		out.Kind = jsonpos.Object
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			vn, err := c.node(v, depth+1)
			if err != nil {
				return nil, err
			}
			ks := c.pos(k.Line, k.Column)
			out.Fields = append(out.Fields, &jsonpos.Field{Key: k.Value, KeyStart: ks, KeyEnd: c.scalarEnd(k, ks), Value: vn})
		}
		out.End = c.containerEnd(n, out)
	case yaml.SequenceNode:
		out.Kind = jsonpos.Array
		for _, e := range n.Content {
			en, err := c.node(e, depth+1)
			if err != nil {
				return nil, err
			}
			out.Elems = append(out.Elems, en)
		}
		out.End = c.containerEnd(n, out)
	default:
		c.scalar(n, out)
		out.End = c.scalarEnd(n, out.Start)
	}
	return out, nil
}

func (c *yconv) scalar(n *yaml.Node, out *jsonpos.Node) {
	v := n.Value
	switch n.ShortTag() {
	case "!!null":
		out.Kind, out.Str = jsonpos.Null, "null"
	case "!!bool":
		b, err := strconv.ParseBool(strings.ToLower(v))
		if err != nil {
			out.Kind, out.Str = jsonpos.String, v
			return
		}
		out.Kind, out.Bool, out.Str = jsonpos.Bool, b, strconv.FormatBool(b)
	case "!!int":
		clean := strings.ReplaceAll(v, "_", "")
		if i, err := strconv.ParseInt(clean, 0, 64); err == nil {
			out.Kind, out.Str = jsonpos.Number, strconv.FormatInt(i, 10)
		} else if u, err := strconv.ParseUint(strings.TrimPrefix(clean, "+"), 0, 64); err == nil {
			out.Kind, out.Str = jsonpos.Number, strconv.FormatUint(u, 10)
		} else if strings.HasPrefix(clean, "0o") {
			if u, err := strconv.ParseUint(clean[2:], 8, 64); err == nil {
				out.Kind, out.Str = jsonpos.Number, strconv.FormatUint(u, 10)
				return
			}
			out.Kind, out.Str = jsonpos.String, v
		} else {
			out.Kind, out.Str = jsonpos.String, v
		}
	case "!!float":
		fv, err := strconv.ParseFloat(strings.ReplaceAll(v, "_", ""), 64)
		if err != nil || math.IsInf(fv, 0) || math.IsNaN(fv) {
			out.Kind, out.Str = jsonpos.String, v
			return
		}
		out.Kind, out.Str = jsonpos.Number, strconv.FormatFloat(fv, 'g', -1, 64)
	default:
		out.Kind, out.Str = jsonpos.String, v
	}
}

// scalarEnd finds where the scalar starting at start ends in the source.
func (c *yconv) scalarEnd(n *yaml.Node, start jsonpos.Pos) jsonpos.Pos {
	line := c.f.Line(start.Line)
	runes := []rune(line)
	i := start.Col - 1
	if i < 0 || i >= len(runes) {
		return jsonpos.Pos{Line: start.Line, Col: start.Col + 1}
	}
	end := i + 1
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		for j := i + 1; j < len(runes); j++ {
			if runes[j] == '\\' {
				j++
				continue
			}
			if runes[j] == '"' {
				end = j + 1
				break
			}
			end = len(runes)
		}
	case n.Style&yaml.SingleQuotedStyle != 0:
		for j := i + 1; j < len(runes); j++ {
			if runes[j] == '\'' {
				if j+1 < len(runes) && runes[j+1] == '\'' {
					j++
					continue
				}
				end = j + 1
				break
			}
			end = len(runes)
		}
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		end = i + 1
	default:
		// Plain scalar: on one line its text is the value itself (plus a
		// tag such as !!str before it).
		text := n.Value
		if k := strings.IndexByte(text, '\n'); k >= 0 {
			text = text[:k]
		}
		w := utf8.RuneCountInString(text)
		if n.Tag != "" && n.Style&yaml.TaggedStyle != 0 {
			w += utf8.RuneCountInString(n.Tag) + 1
		}
		end = i + max(w, 1)
		if end > len(runes) {
			end = len(runes)
		}
	}
	return jsonpos.Pos{Line: start.Line, Col: end + 1}
}

// containerEnd is the end of the last child, or of a flow collection's
// closing bracket when it is empty.
func (c *yconv) containerEnd(n *yaml.Node, out *jsonpos.Node) jsonpos.Pos {
	switch {
	case len(out.Fields) > 0:
		return out.Fields[len(out.Fields)-1].Value.End
	case len(out.Elems) > 0:
		return out.Elems[len(out.Elems)-1].End
	}
	return jsonpos.Pos{Line: out.Start.Line, Col: out.Start.Col + 2} // "{}" or "[]"
}
