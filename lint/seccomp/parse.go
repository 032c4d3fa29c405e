package seccomp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/jsonpos"
)

// SPO API versions whose SeccompProfile spec this package understands.
const (
	SPOGroup         = "security-profiles-operator.x-k8s.io"
	SPOKind          = "SeccompProfile"
	SPOAPIv1beta1    = SPOGroup + "/v1beta1"
	SPOAPIv1alpha1   = SPOGroup + "/v1alpha1"
	maxYAMLNodes     = 1 << 17 // bounds alias expansion ("billion laughs"); profiles have a few thousand
	maxYAMLDepth     = jsonpos.DefaultMaxDepth
	maxYAMLDocuments = 10000
)

// ParseBytes parses content (JSON profile or SPO YAML) as if it were the
// file at path. See ParseFile.
func ParseBytes(path string, content []byte) ([]*Profile, []lint.Finding) {
	return ParseFile(lint.NewFile(path, content))
}

// ParseFile parses f into profiles: one for a JSON profile, one per
// SeccompProfile document of a YAML file (other kinds are ignored). The
// findings are seccomp/parse (malformed input, at the syntax error) and
// seccomp/schema (schema violations, duplicate keys). A file that does not
// parse yields no profile; a profile with schema findings is still returned
// with the fields that could be read.
func ParseFile(f *lint.File) ([]*Profile, []lint.Finding) {
	if isYAMLProfile(f) {
		return parseSPO(f)
	}
	return parseJSON(f)
}

func parseJSON(f *lint.File) ([]*Profile, []lint.Finding) {
	root, err := jsonpos.Parse(f.Content)
	if err != nil {
		var se *jsonpos.SyntaxError
		if errors.As(err, &se) {
			sp := lint.Span{Start: lpos(se.Pos)}
			return nil, []lint.Finding{lint.At(f.Path, RuleParse, sp, "invalid JSON: %s", se.Msg)}
		}
		return nil, []lint.Finding{lint.At(f.Path, RuleParse, lint.Span{Start: lint.Pos{Line: 1, Col: 1}}, "invalid JSON: %v", err)}
	}
	if root.Kind != jsonpos.Object {
		return nil, []lint.Finding{lint.At(f.Path, RuleParse, span(root), "a seccomp profile is a JSON object, not %s %s", article(root.Kind), root.Kind)}
	}
	p := &Profile{File: f, Format: FormatJSON}
	p.build(root)
	return []*Profile{p}, validate(f, "seccomp.json", root, "")
}

func article(k jsonpos.Kind) string {
	if k == jsonpos.Array || k == jsonpos.Object {
		return "an"
	}
	return "a"
}

var yamlLineRE = regexp.MustCompile(`line (\d+)(?:, column (\d+))?`)

func parseSPO(f *lint.File) (profiles []*Profile, findings []lint.Finding) {
	defer func() {
		// yaml.v3 has panicked on hostile input before; a panic must
		// become a finding, never a crash.
		if r := recover(); r != nil {
			profiles = nil
			findings = append(findings, lint.At(f.Path, RuleParse, lint.Span{Start: lint.Pos{Line: 1, Col: 1}}, "invalid YAML: %v", r))
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(f.Content))
	for doc := 0; ; doc++ {
		if doc >= maxYAMLDocuments {
			findings = append(findings, lint.At(f.Path, RuleParse, lint.Span{Start: lint.Pos{Line: 1, Col: 1}}, "more than %d YAML documents", maxYAMLDocuments))
			return profiles, findings
		}
		var yn yaml.Node
		err := dec.Decode(&yn)
		if errors.Is(err, io.EOF) {
			return profiles, findings
		}
		if err != nil {
			findings = append(findings, yamlError(f, err))
			return profiles, findings
		}
		root, err := fromYAML(f, &yn)
		if err != nil {
			findings = append(findings, lint.At(f.Path, RuleParse, lint.Span{Start: lint.Pos{Line: yn.Line, Col: yn.Column}}, "%v", err))
			continue
		}
		if root == nil || root.Kind != jsonpos.Object {
			continue
		}
		if k := root.Value("kind"); k == nil || k.Kind != jsonpos.String || k.Str != SPOKind {
			continue
		}
		p := &Profile{File: f, Format: FormatSPO, Document: doc}
		p.APIVersion = str(root, "apiVersion")
		if md := root.Value("metadata"); md != nil && md.Kind == jsonpos.Object {
			p.Name = str(md, "name")
			p.Namespace = str(md, "namespace")
		}
		spec := root.Value("spec")
		if spec != nil && spec.Kind == jsonpos.Object {
			p.build(spec)
		} else {
			p.At = span(root)
			p.Node = root
		}
		profiles = append(profiles, p)
		prefix := fmt.Sprintf("document %d: ", doc+1)
		if p.Name.Set {
			prefix = "SeccompProfile " + p.Name.V + ": "
		}
		findings = append(findings, validate(f, "spo-seccompprofile.json", root, prefix)...)
	}
}

func yamlError(f *lint.File, err error) lint.Finding {
	msg := err.Error()
	pos := lint.Pos{Line: 1, Col: 1}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		if m[2] != "" {
			pos.Col, _ = strconv.Atoi(m[2])
		}
		msg = yamlLineRE.ReplaceAllString(msg, "")
	}
	msg = trimYAMLPrefix(msg)
	if pos.Line > len(bytes.Split(f.Content, []byte("\n"))) {
		pos.Line = 1
	}
	return lint.At(f.Path, RuleParse, lint.Span{Start: pos}, "invalid YAML: %s", msg)
}

func trimYAMLPrefix(s string) string {
	s = regexp.MustCompile(`^yaml: ?`).ReplaceAllString(s, "")
	s = regexp.MustCompile(`^[:, ]+`).ReplaceAllString(s, "")
	return s
}

// isYAMLProfile tells YAML SeccompProfile objects (also written as JSON)
// from plain JSON profiles.
func isYAMLProfile(f *lint.File) bool {
	if f.HasYAMLKind(SPOKind) {
		return true
	}
	if f.LooksLikeJSON() {
		_, kind, _ := scanTopLevel(f.Content)
		return kind == SPOKind
	}
	return false
}

// Detect reports whether f is a seccomp profile: a JSON object with a
// defaultAction or syscalls key, or YAML/JSON with kind: SeccompProfile.
func Detect(f *lint.File) bool {
	if f.HasYAMLKind(SPOKind) {
		return true
	}
	if !f.LooksLikeJSON() {
		return false
	}
	keys, kind, complete := scanTopLevel(f.Content)
	if keys["defaultAction"] || keys["syscalls"] || kind == SPOKind {
		return true
	}
	if !complete {
		// Malformed JSON: still ours when it talks like a profile, so the
		// syntax error gets reported.
		return bytes.Contains(f.Content, []byte(`"defaultAction"`)) || bytes.Contains(f.Content, []byte(`"syscalls"`))
	}
	return false
}

// scanTopLevel collects the keys of the top-level JSON object and the value
// of its "kind" key without building a tree. complete is false when the
// scan stopped at malformed input.
func scanTopLevel(b []byte) (keys map[string]bool, kind string, complete bool) {
	keys = map[string]bool{}
	i := 0
	ws := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
			i++
		}
	}
	// str returns the raw contents of the string at i (escapes kept).
	str := func() (string, bool) {
		if i >= len(b) || b[i] != '"' {
			return "", false
		}
		i++
		s := i
		for i < len(b) && b[i] != '"' {
			if b[i] == '\\' {
				i++
			}
			i++
		}
		if i >= len(b) {
			return "", false
		}
		i++
		return string(b[s : i-1]), true
	}
	// skip skips one value, tracking nesting and strings.
	skip := func() bool {
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				if _, ok := str(); !ok {
					return false
				}
				if depth == 0 {
					return true
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth == 0 {
					return true
				}
				depth--
				if depth == 0 {
					i++
					return true
				}
			case ',':
				if depth == 0 {
					return true
				}
			}
			i++
		}
		return false
	}
	ws()
	if i < len(b) && b[i] == 0xEF { // BOM
		i += 3
		ws()
	}
	if i >= len(b) || b[i] != '{' {
		return keys, "", false
	}
	i++
	for {
		ws()
		if i < len(b) && b[i] == '}' {
			return keys, kind, true
		}
		k, ok := str()
		if !ok {
			return keys, kind, false
		}
		keys[k] = true
		ws()
		if i >= len(b) || b[i] != ':' {
			return keys, kind, false
		}
		i++
		ws()
		if k == "kind" && i < len(b) && b[i] == '"' {
			v, ok := str()
			if !ok {
				return keys, kind, false
			}
			kind = v
		} else if !skip() {
			return keys, kind, false
		}
		ws()
		if i >= len(b) {
			return keys, kind, false
		}
		if b[i] == ',' {
			i++
			continue
		}
		if b[i] == '}' {
			return keys, kind, true
		}
		return keys, kind, false
	}
}
