package k8s

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/secprof/secprof/lint"
)

// Bounds on hostile input: a manifest file is at most lint.MaxFileSize
// bytes, but aliases can make a small file expand, and a file can hold very
// many tiny documents.
const (
	maxDocuments = 10000
	maxListItems = 10000
)

// WorkloadKinds are the kinds whose pod template secprof checks, with the
// path from the object to its pod template ("" for a Pod, which is its own
// template).
var WorkloadKinds = map[string][]string{
	"Pod":                   nil,
	"Deployment":            {"spec", "template"},
	"StatefulSet":           {"spec", "template"},
	"DaemonSet":             {"spec", "template"},
	"ReplicaSet":            {"spec", "template"},
	"ReplicationController": {"spec", "template"},
	"Job":                   {"spec", "template"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template"},
	"PodTemplate":           {"template"},
}

// workloadGroups are the API groups that define the workload kinds; a
// custom resource that happens to be called "Deployment" is not one.
var workloadGroups = map[string]bool{"": true, "apps": true, "batch": true, "extensions": true}

// Workload is one pod template found in a manifest: a Pod, or the template
// of a controller.
type Workload struct {
	File *lint.File
	// Document is the 0-based index of the YAML document; Item is the
	// index in a List's items, or -1.
	Document int
	Item     int
	Kind     string
	Name     string // metadata.name of the object ("" when unset)
	// Object is the whole object; Meta and Spec are the pod template's
	// metadata and spec (for a Pod, its own).
	Object *yaml.Node
	Meta   *yaml.Node
	Spec   *yaml.Node
	// ObjectMeta is the object's own metadata; for a Pod it is Meta.
	ObjectMeta *yaml.Node
	// SecurityContext is spec.securityContext (nil when absent).
	SecurityContext *yaml.Node
	Containers      []*Container
	// Windows is set when spec.os.name is windows: seccomp, AppArmor and
	// privilege escalation do not apply there.
	Windows bool

	settings []*Setting
}

// Container is one entry of containers, initContainers or
// ephemeralContainers.
type Container struct {
	List     string // "containers", "initContainers" or "ephemeralContainers"
	Index    int
	Node     *yaml.Node
	Name     string
	NameNode *yaml.Node // nil when the container has no name
	// SecurityContext is the container's securityContext (nil when absent).
	SecurityContext *yaml.Node
}

// Ref returns a human name for the container, e.g. `container "app"`.
func (c *Container) Ref() string {
	kind := "container"
	switch c.List {
	case "initContainers":
		kind = "init container"
	case "ephemeralContainers":
		kind = "ephemeral container"
	}
	if c.Name == "" {
		return fmt.Sprintf("%s #%d", kind, c.Index+1)
	}
	return fmt.Sprintf("%s %q", kind, c.Name)
}

// Ref returns a human name for the workload, e.g. `Pod "audit-pod"`.
func (w *Workload) Ref() string {
	if w.Name == "" {
		return w.Kind
	}
	return fmt.Sprintf("%s %q", w.Kind, w.Name)
}

// Container returns the container called name, or nil.
func (w *Workload) Container(name string) *Container {
	for _, c := range w.Containers {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// ParseError is a YAML syntax error with its position.
type ParseError struct {
	Pos lint.Pos
	Msg string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg) }

// ParseManifest returns the workloads of every document of f. Documents of
// other kinds are skipped. A YAML syntax error stops the parse: the
// workloads of the documents before it are returned with the error.
func ParseManifest(f *lint.File) (ws []*Workload, perr *ParseError) {
	defer func() {
		// yaml.v3 has panicked on hostile input before; never crash on
		// a pull request's file.
		if r := recover(); r != nil {
			perr = &ParseError{Pos: lint.Pos{Line: 1, Col: 1}, Msg: fmt.Sprintf("invalid YAML: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(f.Content))
	for doc := 0; ; doc++ {
		if doc >= maxDocuments {
			return ws, &ParseError{Pos: lint.Pos{Line: 1, Col: 1}, Msg: fmt.Sprintf("more than %d YAML documents", maxDocuments)}
		}
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return ws, nil
		}
		if err != nil {
			return ws, yamlError(f, err)
		}
		root := &n
		if root.Kind == yaml.DocumentNode {
			if len(root.Content) == 0 {
				continue
			}
			root = root.Content[0]
		}
		ws = appendObject(ws, f, doc, -1, deref(root))
		if str(root, "kind") == "List" || isCoreList(root) {
			for i, it := range items(value(root, "items")) {
				if i >= maxListItems {
					break
				}
				ws = appendObject(ws, f, doc, i, deref(it))
			}
		}
	}
}

// isCoreList accepts typed lists such as PodList or DeploymentList
// (kubectl get -o yaml), whose items are workloads.
func isCoreList(root *yaml.Node) bool {
	kind, ok := strings.CutSuffix(str(root, "kind"), "List")
	if !ok {
		return false
	}
	_, ok = WorkloadKinds[kind]
	return ok && apiGroupOK(str(root, "apiVersion"))
}

func apiGroupOK(apiVersion string) bool {
	group := ""
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		group = apiVersion[:i]
	}
	return workloadGroups[group]
}

func appendObject(ws []*Workload, f *lint.File, doc, item int, obj *yaml.Node) []*Workload {
	if obj == nil || obj.Kind != yaml.MappingNode {
		return ws
	}
	kind := str(obj, "kind")
	path, ok := WorkloadKinds[kind]
	if !ok || !apiGroupOK(str(obj, "apiVersion")) {
		return ws
	}
	w := &Workload{File: f, Document: doc, Item: item, Kind: kind, Object: obj}
	w.ObjectMeta = value(obj, "metadata")
	w.Name = str(w.ObjectMeta, "name")
	tmpl := obj
	for _, k := range path {
		tmpl = value(tmpl, k)
	}
	if tmpl == nil || tmpl.Kind != yaml.MappingNode {
		// A controller without a pod template has nothing to check; the
		// API server rejects it anyway.
		return ws
	}
	w.Meta = value(tmpl, "metadata")
	w.Spec = value(tmpl, "spec")
	if w.Spec != nil && w.Spec.Kind != yaml.MappingNode {
		w.Spec = nil
	}
	w.SecurityContext = mapping(value(w.Spec, "securityContext"))
	w.Windows = str(value(w.Spec, "os"), "name") == "windows"
	for _, list := range []string{"initContainers", "containers", "ephemeralContainers"} {
		for i, cn := range items(value(w.Spec, list)) {
			cn = deref(cn)
			if cn == nil || cn.Kind != yaml.MappingNode {
				continue
			}
			c := &Container{List: list, Index: i, Node: cn}
			if k, v := get(cn, "name"); k != nil {
				c.Name, _ = scalar(v)
				c.NameNode = v
			}
			c.SecurityContext = mapping(value(cn, "securityContext"))
			w.Containers = append(w.Containers, c)
		}
	}
	return append(ws, w)
}

func mapping(n *yaml.Node) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	return n
}

var yamlLineRE = regexp.MustCompile(`line (\d+)(?:, column (\d+))?:? ?`)

// yamlError turns a yaml.v3 error ("yaml: line 3: mapping values are not
// allowed in this context") into a positioned error.
func yamlError(f *lint.File, err error) *ParseError {
	msg := err.Error()
	pos := lint.Pos{Line: 1, Col: 1}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		if l, err := strconv.Atoi(m[1]); err == nil {
			if isParserError(msg) {
				// yaml.v3 prints the 0-based line of the construct a
				// parser error is in (scanner errors are 1-based).
				l++
			}
			if l >= 1 && l <= bytes.Count(f.Content, []byte("\n"))+1 {
				pos.Line = l
			}
		}
		if m[2] != "" {
			if c, err := strconv.Atoi(m[2]); err == nil && c >= 1 {
				pos.Col = c
			}
		}
		msg = strings.Replace(msg, m[0], "", 1)
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimLeft(msg, ":, ")
	return &ParseError{Pos: pos, Msg: "invalid YAML: " + msg}
}

// parserErrors are the problems yaml.v3's parser (not its scanner)
// reports; see yamlError.
var parserErrors = []string{
	"did not find expected <document start>",
	"did not find expected key",
	"did not find expected '-' indicator",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected node content",
	"found undefined tag handle",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found duplicate %TAG directive",
}

func isParserError(msg string) bool {
	for _, p := range parserErrors {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
