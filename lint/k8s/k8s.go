// Package k8s lints the Kubernetes manifests that use security profiles:
// Pods and the pod templates of Deployments, StatefulSets, DaemonSets,
// ReplicaSets, ReplicationControllers, Jobs, CronJobs and PodTemplates, in
// any YAML (or JSON) file, one or many documents, plus List objects. It
// checks the seccompProfile and appArmorProfile fields and the annotations
// that preceded them, cross-checked against the profile directories of
// .secprof.yaml. Every finding points at the YAML node at fault.
package k8s

import (
	"bytes"
	"regexp"

	"gopkg.in/yaml.v3"

	"github.com/secprof/secprof/lint"
)

// Rule IDs of this package (docs/rules/k8s/<name>.md).
const (
	RuleParse                              = "k8s/parse"
	RulePrivilegedOverridesProfile         = "k8s/privileged-overrides-profile"
	RuleSeccompUnconfined                  = "k8s/seccomp-unconfined"
	RuleSeccompMissing                     = "k8s/seccomp-missing"
	RuleAppArmorUnconfined                 = "k8s/apparmor-unconfined"
	RuleLocalhostProfileNotFound           = "k8s/localhost-profile-not-found"
	RuleLocalhostProfileInvalid            = "k8s/localhost-profile-invalid"
	RuleAppArmorProfileNotFound            = "k8s/apparmor-profile-not-found"
	RuleAppArmorAnnotationUnknownContainer = "k8s/apparmor-annotation-unknown-container"
	RuleDeprecatedAnnotation               = "k8s/deprecated-annotation"
	RuleAllowPrivilegeEscalation           = "k8s/allow-privilege-escalation"
	RuleProfileTypeInvalid                 = "k8s/profile-type-invalid"
)

// rule is one check over one workload.
type rule struct {
	lint.Rule
	check func(c *checkCtx, w *Workload) []lint.Finding
}

var rules []*rule

// register records a rule; each rule_<name>.go calls it from init.
func register(r *rule) {
	lint.RegisterRules(r.Rule)
	rules = append(rules, r)
}

func init() {
	lint.RegisterRules(lint.Rule{ID: RuleParse, Severity: lint.Error, Summary: "the manifest is not valid YAML"})
}

// Checker is the manifest linter.
type Checker struct {
	namer ProfileNamer
	cache indexCache
}

// Option configures a Checker.
type Option func(*Checker)

// WithProfileNamer sets how AppArmor profile names are read from the
// files of the AppArmor directory.
func WithProfileNamer(n ProfileNamer) Option { return func(c *Checker) { c.namer = n } }

// New returns the Kubernetes manifest checker.
func New(opts ...Option) *Checker {
	c := &Checker{namer: defaultProfileNamer}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Name implements lint.Checker.
func (*Checker) Name() string { return "k8s" }

var jsonKindRE = regexp.MustCompile(`"kind"\s*:\s*"(` + kindAlternation() + `)"`)

func kindAlternation() string {
	var b bytes.Buffer
	b.WriteString("List")
	for k := range WorkloadKinds {
		b.WriteString("|" + k + "|" + k + "List")
	}
	return b.String()
}

// Detect reports whether f holds a workload (or a List of them): a YAML
// document whose top-level kind is one of WorkloadKinds, or a JSON object
// that names one.
func (*Checker) Detect(f *lint.File) bool {
	if f.LooksLikeJSON() {
		return bytes.Contains(f.Content, []byte(`"apiVersion"`)) && jsonKindRE.Match(f.Content)
	}
	for _, k := range f.YAMLKinds() {
		if _, ok := WorkloadKinds[k]; ok || k == "List" {
			return true
		}
		if base, ok := bytesCutSuffix(k, "List"); ok {
			if _, ok := WorkloadKinds[base]; ok {
				return true
			}
		}
	}
	return false
}

func bytesCutSuffix(s, suffix string) (string, bool) {
	if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)], true
	}
	return "", false
}

// Check implements lint.Checker.
func (ch *Checker) Check(ctx *lint.Context, f *lint.File) []lint.Finding {
	ws, perr := ParseManifest(f)
	var out []lint.Finding
	if perr != nil {
		out = append(out, lint.At(f.Path, RuleParse, lint.Span{Start: perr.Pos}, "%s", perr.Msg))
	}
	if len(ws) == 0 {
		return out
	}
	c := &checkCtx{ctx: ctx, file: f, idx: ch.cache.get(ctx, ch.namer)}
	for _, w := range ws {
		for _, r := range rules {
			out = append(out, r.check(c, w)...)
		}
	}
	return out
}

// checkCtx is what a rule sees beside the workload.
type checkCtx struct {
	ctx  *lint.Context
	file *lint.File
	idx  *index
}

// at returns a finding of rule at node n of the manifest.
func (c *checkCtx) at(n *yaml.Node, ruleID, format string, args ...any) lint.Finding {
	return lint.At(c.file.Path, ruleID, spanOf(c.file, n), format, args...)
}

// line is the line of n for "(line N)" references in messages.
func line(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}
