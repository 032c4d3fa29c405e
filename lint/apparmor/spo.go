package apparmor

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/secprof/secprof/lint"
)

// Security Profiles Operator AppArmorProfile objects carry the profile text
// in spec.policy (a YAML string, usually a `|` block). The text is linted
// like a profile file and positions are mapped back into the YAML file.

const spoKind = "AppArmorProfile"

func isSPO(f *lint.File) bool { return f.HasYAMLKind(spoKind) }

// spoObject is one AppArmorProfile document.
type spoObject struct {
	name         string
	nameNode     *yaml.Node
	policy       *yaml.Node // spec.policy
	complainMode *yaml.Node // spec.complainMode (v1alpha1)
	hasAbstract  bool       // spec.abstract: structured, no policy text
	kindNode     *yaml.Node
}

// spoObjects decodes every AppArmorProfile document of a YAML file.
func spoObjects(content []byte) ([]spoObject, error) {
	dec := yaml.NewDecoder(bytes.NewReader(content))
	var out []spoObject
	for i := 0; i < 1000; i++ {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, err
		}
		if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		root := doc.Content[0]
		kind := mapGet(root, "kind")
		if kind == nil || kind.Value != spoKind {
			continue
		}
		o := spoObject{kindNode: kind}
		if md := mapGet(root, "metadata"); md != nil {
			if n := mapGet(md, "name"); n != nil && n.Kind == yaml.ScalarNode {
				o.name, o.nameNode = n.Value, n
			}
		}
		if spec := mapGet(root, "spec"); spec != nil {
			if p := mapGet(spec, "policy"); p != nil && p.Kind == yaml.ScalarNode {
				o.policy = p
			}
			if c := mapGet(spec, "complainMode"); c != nil && c.Kind == yaml.ScalarNode {
				o.complainMode = c
			}
			o.hasAbstract = mapGet(spec, "abstract") != nil
		}
		out = append(out, o)
	}
	return out, nil
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

var reYAMLLine = regexp.MustCompile(`line (\d+)`)

func nodeSpan(n *yaml.Node) lint.Span {
	return lint.Span{Start: lint.Pos{Line: n.Line, Col: n.Column}}
}

func (c *checker) checkSPO(ctx *lint.Context, f *lint.File) []lint.Finding {
	objs, err := spoObjects(f.Content)
	var out []lint.Finding
	if err != nil {
		line := 1
		if m := reYAMLLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		out = append(out, lint.At(f.Path, ruleParse, lint.Span{Start: lint.Pos{Line: line, Col: 1}}, "invalid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	for _, o := range objs {
		label := spoKind
		if o.name != "" {
			label += " " + o.name
		}
		if o.complainMode != nil && o.complainMode.Value == "true" {
			out = append(out, lint.At(f.Path, "apparmor/complain-mode", nodeSpan(o.complainMode),
				"%s: spec.complainMode is true: the operator loads the profile in complain mode, which logs violations but blocks nothing", label).
				WithFix("remove complainMode (or set it to false) once the profile is tested"))
		}
		if o.policy == nil {
			if !o.hasAbstract {
				out = append(out, lint.At(f.Path, ruleParse, nodeSpan(o.kindNode), "%s has no spec.policy (nor spec.abstract)", label))
			}
			continue
		}
		m := newBlockMap(f, o.policy)
		fs := c.checkPolicy(ctx, f, []byte(o.policy.Value), m, label)
		out = append(out, fs...)
		out = append(out, spoNameFindings(f, o, m)...)
	}
	return out
}

// spoNameFindings checks what Kubernetes will reference: pods name the
// object as localhost/<metadata.name>, and the operator requires the
// profile in spec.policy to carry that name.
func spoNameFindings(f *lint.File, o spoObject, m posMap) []lint.Finding {
	if o.name == "" {
		return nil
	}
	pf := parse(f.Path, []byte(o.policy.Value))
	var names []*Profile
	for _, s := range pf.Stmts {
		if p, ok := s.(*Profile); ok {
			names = append(names, p)
		}
	}
	for _, p := range names {
		if p.Name.Text == o.name {
			return nil
		}
	}
	if len(names) == 0 {
		return nil
	}
	p := names[0]
	return []lint.Finding{lint.At(f.Path, "apparmor/no-profile-name", m.span(p.Name.Span),
		"%s %s: the profile in spec.policy is named %q, not %q: the operator requires the names to match, and pods reference localhost/%s",
		spoKind, o.name, p.Name.Text, o.name, o.name).WithFix("rename the profile to %s", o.name)}
}

// blockMap maps positions in a YAML string value back into the file. It is
// exact for literal blocks (`|`) and single-line plain values, and points
// at the value otherwise.
type blockMap struct {
	startLine int
	indent    int
	exact     bool
	fallback  lint.Span
}

func newBlockMap(f *lint.File, n *yaml.Node) blockMap {
	m := blockMap{fallback: nodeSpan(n)}
	lines := strings.Split(n.Value, "\n")
	switch {
	case n.Style&yaml.LiteralStyle != 0:
		m.startLine = n.Line + 1
		// the indentation is that of the first non-empty line
		for i, l := range lines {
			if l == "" {
				continue
			}
			fl := f.Line(m.startLine + i)
			idx := strings.Index(fl, l)
			if idx < 0 || strings.TrimLeft(fl[:idx], " ") != "" {
				return m
			}
			m.indent = idx
			break
		}
	case n.Style == 0 && len(lines) == 1:
		m.startLine = n.Line
		m.indent = n.Column - 1
	default:
		return m
	}
	for i, l := range lines {
		if l == "" {
			continue
		}
		fl := f.Line(m.startLine + i)
		if len(fl) < m.indent || fl[m.indent:] != l && !strings.HasPrefix(fl[m.indent:], l) {
			return m
		}
	}
	m.exact = true
	return m
}

func (m blockMap) span(s Span) lint.Span {
	if !m.exact {
		return m.fallback
	}
	conv := func(p Pos) lint.Pos {
		if !p.IsValid() {
			return lint.Pos{}
		}
		return lint.Pos{Line: m.startLine + p.Line - 1, Col: p.Col + m.indent}
	}
	return lint.Span{Start: conv(s.Start), End: conv(s.End)}
}
