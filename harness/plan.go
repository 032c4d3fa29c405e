// Package harness runs workloads under security profiles and checks that
// each ends up the way a plan says. Data flows one way:
//
//	plan → backend → observations → one shared classifier → verdicts → reporters
//
// Backends (local, docker, kind, cluster) only translate what they see into
// Observations; they never decide verdicts. The plan format is a public
// contract, documented in docs/plan.md and schemas/plan.json.
package harness

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// MaxPlanSize bounds a plan file; anything larger is not a hand-written plan.
const MaxPlanSize = 1 << 20

// MaxCases bounds the number of cases of one plan.
const MaxCases = 10000

// Outcome is the state a workload ends up in, named as kubelet reports it.
type Outcome string

const (
	Running              Outcome = "Running"
	CrashLoopBackOff     Outcome = "CrashLoopBackOff"
	CreateContainerError Outcome = "CreateContainerError"
	Blocked              Outcome = "Blocked"
	Completed            Outcome = "Completed"
	Failed               Outcome = "Failed"
)

// Outcomes lists the valid outcomes in documentation order.
var Outcomes = []Outcome{Running, CrashLoopBackOff, CreateContainerError, Blocked, Completed, Failed}

func (o Outcome) valid() bool {
	for _, x := range Outcomes {
		if o == x {
			return true
		}
	}
	return false
}

// Defaults applied when a plan does not say otherwise.
const (
	DefaultTimeout     = 10 * time.Minute
	DefaultCaseTimeout = 2 * time.Minute
	DefaultStableFor   = 2 * time.Second
	DefaultParallel    = 4
)

// Plan is a decoded, validated test plan (the test: section of
// .secprof.yaml, or a --plan file).
type Plan struct {
	// File is the file the plan was read from; Dir resolves relative paths.
	File string `yaml:"-" json:"file"`
	Dir  string `yaml:"-" json:"-"`

	Backend   string            `yaml:"backend" json:"backend"`
	Timeout   Duration          `yaml:"timeout" json:"timeout"`
	Parallel  int               `yaml:"parallel" json:"parallel"`
	StableFor Duration          `yaml:"stableFor" json:"stableFor"`
	Profiles  ProfileDirs       `yaml:"profiles" json:"profiles"`
	Images    map[string]*Image `yaml:"images" json:"images,omitempty"`
	// Probe names the image (an entry of Images) holding the probe binary
	// used for syscalls checks.
	Probe string  `yaml:"probe" json:"probe,omitempty"`
	Cases []*Case `yaml:"cases" json:"cases"`

	// BackendOptions are the raw test.<backend> sections; each backend
	// decodes its own with DecodeStrict (see BackendSpec.Options).
	BackendOptions map[string]*yaml.Node `yaml:"-" json:"-"`
}

// ProfileDirs are the directories holding the profiles. Seccomp plays the
// role of the kubelet's seccomp root (/var/lib/kubelet/seccomp): Localhost
// paths such as "profiles/audit.json" are relative to it. Both are absolute
// after parsing.
type ProfileDirs struct {
	Seccomp  string `yaml:"seccomp" json:"seccomp,omitempty"`
	AppArmor string `yaml:"apparmor" json:"apparmor,omitempty"`
}

// Image describes a workload image the harness builds itself from a Go
// package, so no registry is needed: local runs the binary, docker and kind
// wrap it into an image of that name.
type Image struct {
	// Build is a Go package directory (relative to the plan), built with
	// CGO_ENABLED=0 into a static binary.
	Build string `yaml:"build" json:"build"`
	// Binary is where the binary lives inside the image, e.g. /http-echo.
	Binary string `yaml:"binary" json:"binary"`
	// Entrypoint is the image's entrypoint; defaults to [Binary].
	Entrypoint []string `yaml:"entrypoint" json:"entrypoint,omitempty"`
}

// Case is one workload run under one set of profiles.
type Case struct {
	Name     string    `yaml:"name" json:"name"`
	Workload *Workload `yaml:"workload" json:"workload,omitempty"`
	// Pod is a Pod manifest (relative to the plan) for the kube backends.
	Pod string `yaml:"pod" json:"pod,omitempty"`
	// Seccomp is "RuntimeDefault", "Unconfined", or a Localhost profile
	// path relative to profiles.seccomp (an optional "localhost/" prefix is
	// accepted). Empty means the backend's default.
	Seccomp string `yaml:"seccomp" json:"seccomp,omitempty"`
	// AppArmor is "runtime/default", "unconfined" or "localhost/<name>".
	AppArmor  string     `yaml:"apparmor" json:"apparmor,omitempty"`
	Timeout   Duration   `yaml:"timeout" json:"timeout,omitempty"`
	StableFor Duration   `yaml:"stableFor" json:"stableFor,omitempty"`
	Skip      string     `yaml:"skip" json:"skip,omitempty"`
	Expect    Expect     `yaml:"expect" json:"expect"`
	When      []WhenRule `yaml:"when" json:"when,omitempty"`

	// Line and Column locate the case in File.
	Line   int `yaml:"-" json:"line,omitempty"`
	Column int `yaml:"-" json:"-"`
	// SeccompRef is Seccomp parsed; SeccompPath is the absolute file of a
	// Localhost profile and SeccompMissing tells that it does not exist
	// (allowed only when the case expects CreateContainerError).
	SeccompRef  SeccompRef  `yaml:"-" json:"-"`
	AppArmorRef AppArmorRef `yaml:"-" json:"-"`
	PodPath     string      `yaml:"-" json:"-"`
	Index       int         `yaml:"-" json:"-"`
}

// Workload is what runs. Image/Command/Args follow Kubernetes: Command
// replaces the image's entrypoint, Args are appended.
type Workload struct {
	Image   string            `yaml:"image" json:"image,omitempty"`
	Command []string          `yaml:"command" json:"command,omitempty"`
	Args    []string          `yaml:"args" json:"args,omitempty"`
	Env     map[string]string `yaml:"env" json:"env,omitempty"`
	// Ports the workload listens on (TCP). On the local backend cases that
	// share a port run one after the other.
	Ports []int `yaml:"ports" json:"ports,omitempty"`
	// Local is the command the local backend runs instead, when the image's
	// program is not a plan-built image and not on the host.
	Local []string `yaml:"local" json:"local,omitempty"`
	// RestartPolicy is Always (default, like a Deployment's pod), OnFailure
	// or Never; it decides between CrashLoopBackOff, Completed and Failed.
	RestartPolicy string `yaml:"restartPolicy" json:"restartPolicy,omitempty"`
	// AllowPrivilegeEscalation false (the default here) sets no_new_privs.
	AllowPrivilegeEscalation *bool        `yaml:"allowPrivilegeEscalation" json:"allowPrivilegeEscalation,omitempty"`
	Capabilities             Capabilities `yaml:"capabilities" json:"capabilities,omitempty"`
}

// Capabilities adjusts the runtime's default capability set.
type Capabilities struct {
	Add  []string `yaml:"add" json:"add,omitempty"`
	Drop []string `yaml:"drop" json:"drop,omitempty"`
}

// Expect is what a case must end up as.
type Expect struct {
	Outcome Outcome `yaml:"outcome" json:"outcome"`
	// Reason must be contained (case-insensitively) in the verdict's reason.
	Reason string `yaml:"reason" json:"reason,omitempty"`
	// ExitCode, when set, must equal the last exit code observed.
	ExitCode *int           `yaml:"exitCode" json:"exitCode,omitempty"`
	HTTP     HTTPChecks     `yaml:"http" json:"http,omitempty"`
	Exec     []ExecCheck    `yaml:"exec" json:"exec,omitempty"`
	Syscalls *SyscallsCheck `yaml:"syscalls" json:"syscalls,omitempty"`
	// SeccompMode is what the probe must report: disabled, strict or filter.
	SeccompMode string `yaml:"seccompMode" json:"seccompMode,omitempty"`
	// AppArmorLabel must be contained in the probe's AppArmor label.
	AppArmorLabel string `yaml:"apparmorLabel" json:"apparmorLabel,omitempty"`
	// Denied are syscalls the profile must be found denying when the case
	// runs (through the backend's Explainer: on local, seccomp user
	// notification). Backends that cannot tell fail the check, so state
	// it under a when: rule naming the backends that can.
	Denied []string `yaml:"denied" json:"denied,omitempty"`
}

// HTTPCheck is a request to the workload once it runs.
type HTTPCheck struct {
	Port         int    `yaml:"port" json:"port"`
	Path         string `yaml:"path" json:"path,omitempty"`
	Status       int    `yaml:"status" json:"status,omitempty"`
	BodyContains string `yaml:"bodyContains" json:"bodyContains,omitempty"`
}

// HTTPChecks accepts one check or a list.
type HTTPChecks []HTTPCheck

// UnmarshalYAML accepts a mapping or a sequence of mappings.
func (h *HTTPChecks) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		var c HTTPCheck
		if err := DecodeStrict("", n, &c); err != nil {
			return err
		}
		*h = HTTPChecks{c}
		return nil
	}
	var cs []HTTPCheck
	if err := DecodeStrict("", n, &cs); err != nil {
		return err
	}
	*h = cs
	return nil
}

// ExecCheck runs a command in the workload's context (kubectl exec; on the
// local backend, a child under the same profiles).
type ExecCheck struct {
	Command []string `yaml:"command" json:"command"`
	// ExitCode is the expected exit code (default 0).
	ExitCode          int    `yaml:"exitCode" json:"exitCode"`
	OutputContains    string `yaml:"outputContains" json:"outputContains,omitempty"`
	OutputNotContains string `yaml:"outputNotContains" json:"outputNotContains,omitempty"`
}

// SyscallsCheck asks the probe, run under the case's profiles, which
// syscalls are denied.
type SyscallsCheck struct {
	Denied  []string `yaml:"denied" json:"denied,omitempty"`
	Allowed []string `yaml:"allowed" json:"allowed,omitempty"`
}

// WhenRule replaces the case's expectation in environments that match all
// of its conditions; the first matching rule wins and the report names it.
// This keeps one plan honest on hosts with and without AppArmor, and on old
// and new kubelets, without hiding the difference.
type WhenRule struct {
	Condition `yaml:",inline"`
	Expect    Expect `yaml:"expect" json:"expect"`
	Line      int    `yaml:"-" json:"-"`
}

// Condition is a set of environment facts; all given ones must hold.
type Condition struct {
	// AppArmor is "enabled" or "disabled": whether the host (or node)
	// kernel enforces AppArmor.
	AppArmor string `yaml:"apparmor" json:"apparmor,omitempty"`
	// Backend is one backend name or several separated by commas.
	Backend string `yaml:"backend" json:"backend,omitempty"`
	// Kubernetes is a version constraint such as "<1.24" or ">=1.30",
	// matched against the kubelet version (never matches on local/docker).
	Kubernetes string `yaml:"kubernetes" json:"kubernetes,omitempty"`
}

// String renders a condition the way reports show it: "apparmor=disabled".
func (c Condition) String() string {
	var p []string
	if c.Backend != "" {
		p = append(p, "backend="+c.Backend)
	}
	if c.AppArmor != "" {
		p = append(p, "apparmor="+c.AppArmor)
	}
	if c.Kubernetes != "" {
		p = append(p, "kubernetes"+c.Kubernetes)
	}
	return strings.Join(p, ", ")
}

// Duration is a time.Duration written as "30s", "2m".
type Duration time.Duration

// UnmarshalYAML parses Go duration syntax.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	// A *yaml.TypeError lets the decoder go on, so every problem is seen.
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: column %d: a duration is a string such as 30s or 2m", n.Line, n.Column)}}
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: column %d: invalid duration %q (want e.g. 30s, 2m)", n.Line, n.Column, n.Value)}}
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Duration(d).String() + `"`), nil
}

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// SeccompKind is the type of a seccomp reference, as in Kubernetes.
type SeccompKind string

const (
	SeccompDefault        SeccompKind = ""               // not set: the backend's default
	SeccompRuntimeDefault SeccompKind = "RuntimeDefault" // the runtime's default profile
	SeccompUnconfined     SeccompKind = "Unconfined"
	SeccompLocalhost      SeccompKind = "Localhost"
)

// SeccompRef is a parsed seccomp reference.
type SeccompRef struct {
	Kind SeccompKind
	// Path is the Localhost path relative to the seccomp root, slash-separated
	// ("profiles/audit.json"): what a Pod's localhostProfile holds.
	Path string
	// File is the absolute file on this machine; Missing tells it does not
	// exist (only allowed when the case expects CreateContainerError).
	File    string
	Missing bool
}

// AppArmorKind is the type of an AppArmor reference.
type AppArmorKind string

const (
	AppArmorNone           AppArmorKind = ""
	AppArmorRuntimeDefault AppArmorKind = "RuntimeDefault"
	AppArmorUnconfined     AppArmorKind = "Unconfined"
	AppArmorLocalhost      AppArmorKind = "Localhost"
)

// AppArmorRef is a parsed AppArmor reference.
type AppArmorRef struct {
	Kind AppArmorKind
	// Name is the profile name of a Localhost reference.
	Name string
}

// LoadPlan reads a --plan file. src supplies defaults (the config file's
// profile directories) that the plan's own keys override.
func LoadPlan(path string, src PlanSource) (*Plan, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > MaxPlanSize {
		return nil, fmt.Errorf("%s: plan is %d bytes, more than the %d allowed", path, st.Size(), MaxPlanSize)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParsePlanBytes(path, b, src)
}

// ParsePlanBytes parses a plan file's content.
func ParsePlanBytes(path string, b []byte, src PlanSource) (*Plan, error) {
	if len(b) > MaxPlanSize {
		return nil, PlanErrors{{File: path, Msg: fmt.Sprintf("plan is %d bytes, more than the %d allowed", len(b), MaxPlanSize)}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, PlanErrors{lineError(path, nil, strings.TrimPrefix(err.Error(), "yaml: "))}
	}
	return ParsePlan(path, &doc, src)
}

// PlanSource says where a plan's defaults come from when it is the test:
// section of a config file.
type PlanSource struct {
	// Profiles are the config file's top-level profile directories,
	// already resolved against the config file; the plan's own
	// profiles: key overrides them.
	Profiles ProfileDirs
}

// ParsePlan decodes and validates a plan from its YAML node (a document or
// a mapping). file names it in errors and is the base of relative paths.
// All problems are returned together as PlanErrors.
func ParsePlan(file string, n *yaml.Node, src PlanSource) (*Plan, error) {
	for n != nil && n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			n = nil
			break
		}
		n = n.Content[0]
	}
	if n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil, PlanErrors{{File: file, Msg: "no test plan: add a test: section (see docs/plan.md)"}}
	}
	if n.Kind != yaml.MappingNode {
		return nil, PlanErrors{errAt(file, n, "a test plan is a mapping with backend, cases, …")}
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	p := &Plan{File: file, Dir: filepath.Dir(abs), BackendOptions: map[string]*yaml.Node{}}

	// Split off the backend sections: their keys belong to the backends.
	core := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	var errs PlanErrors
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, ok := lookupBackend(k.Value); ok {
			p.BackendOptions[k.Value] = v
			continue
		}
		core.Content = append(core.Content, k, v)
	}
	// Unknown keys do not stop the checks: report every problem at once.
	budget := maxYAMLNodes
	var keyErrs PlanErrors
	checkKeys(file, core, reflect.TypeOf(p), 0, &budget, &keyErrs)
	if err := core.Decode(p); err != nil {
		derrs := fixFile(file, yamlDecodeError(file, core, err)).(PlanErrors)
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, append(keyErrs, derrs...)
		}
		// Type errors leave the rest decoded: check it too.
		errs = append(errs, derrs...)
	}
	errs = append(errs, keyErrs...)
	p.File, p.Dir = file, filepath.Dir(abs)
	if p.BackendOptions == nil {
		p.BackendOptions = map[string]*yaml.Node{}
	}
	for name, on := range p.BackendOptions {
		spec, _ := lookupBackend(name)
		if spec.Options == nil {
			if on.Kind != yaml.MappingNode || len(on.Content) > 0 {
				errs = append(errs, errAt(file, on, "backend %s takes no options", name))
			}
			continue
		}
		if err := DecodeStrict(file, on, spec.Options()); err != nil {
			errs = append(errs, fixFile(file, err).(PlanErrors)...)
		}
	}
	errs = append(errs, p.validate(n, src)...)
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
		errs = dedupe(errs)
		return nil, errs
	}
	return p, nil
}

func fixFile(file string, err error) error {
	var pe PlanErrors
	if errors.As(err, &pe) {
		for i := range pe {
			if pe[i].File == "" {
				pe[i].File = file
			}
		}
		return pe
	}
	return PlanErrors{{File: file, Msg: err.Error()}}
}

// mapValue returns the value node of key in mapping n.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// orNode returns a if it is set, else b, for error positions.
func orNode(a, b *yaml.Node) *yaml.Node {
	if a != nil {
		return a
	}
	return b
}

var (
	caseNameRE   = regexp.MustCompile(`^[^\x00-\x1f\x7f]{1,200}$`)
	apparmorName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:+/-]{0,255}$`)
)

func (p *Plan) validate(root *yaml.Node, src PlanSource) PlanErrors {
	var errs PlanErrors
	f := p.File
	add := func(n *yaml.Node, format string, args ...any) {
		errs = append(errs, errAt(f, n, format, args...))
	}

	if p.Backend == "" {
		p.Backend = "local"
	}
	if _, ok := lookupBackend(p.Backend); !ok {
		add(orNode(mapValue(root, "backend"), root), "unknown backend %q (registered: %s)", p.Backend, strings.Join(BackendNames(), ", "))
	}
	if p.Timeout == 0 {
		p.Timeout = Duration(DefaultTimeout)
	}
	if p.StableFor == 0 {
		p.StableFor = Duration(DefaultStableFor)
	}
	if p.Parallel < 0 || p.Parallel > 256 {
		add(mapValue(root, "parallel"), "parallel must be between 1 and 256")
	}
	if p.Parallel == 0 {
		p.Parallel = DefaultParallel
	}

	// Profile directories: the plan's own override the config file's.
	dirs := src.Profiles
	pn := mapValue(root, "profiles")
	for _, d := range []struct {
		key string
		val string
		dst *string
	}{{"seccomp", p.Profiles.Seccomp, &dirs.Seccomp}, {"apparmor", p.Profiles.AppArmor, &dirs.AppArmor}} {
		if d.val == "" {
			continue
		}
		// A plan comes with the pull request: its directories stay in it.
		r, err := p.insidePlanDir(d.val)
		if err != nil {
			add(orNode(mapValue(pn, d.key), orNode(pn, root)), "profiles.%s: %v", d.key, err)
			continue
		}
		*d.dst = r
	}
	if dirs.Seccomp == "" {
		dirs.Seccomp = p.Dir
	}
	for _, d := range []struct{ key, dir string }{{"seccomp", dirs.Seccomp}, {"apparmor", dirs.AppArmor}} {
		if d.dir == "" {
			continue
		}
		if st, err := os.Stat(d.dir); err != nil || !st.IsDir() {
			add(orNode(mapValue(pn, d.key), orNode(pn, root)), "profiles.%s: %s is not a directory", d.key, d.dir)
		}
	}
	p.Profiles = dirs

	imgs := mapValue(root, "images")
	for name, img := range p.Images {
		in := orNode(mapValue(imgs, name), imgs)
		if img == nil {
			add(in, "images.%s: empty image", name)
			continue
		}
		if img.Build == "" {
			add(in, "images.%s: build (a Go package directory) is required", name)
		} else if d, err := p.insidePlanDir(img.Build); err != nil {
			add(orNode(mapValue(in, "build"), in), "images.%s.build: %v", name, err)
		} else if st, err := os.Stat(d); err != nil || !st.IsDir() {
			add(orNode(mapValue(in, "build"), in), "images.%s.build: %s is not a directory", name, img.Build)
		} else {
			img.Build = d
		}
		if !strings.HasPrefix(img.Binary, "/") || strings.Contains(img.Binary, "..") {
			add(orNode(mapValue(in, "binary"), in), "images.%s.binary: an absolute path inside the image such as /http-echo is required", name)
		}
		if len(img.Entrypoint) == 0 {
			img.Entrypoint = []string{img.Binary}
		}
	}
	if p.Probe != "" {
		if _, ok := p.Images[p.Probe]; !ok {
			add(mapValue(root, "probe"), "probe: %q is not an entry of images", p.Probe)
		}
	}

	casesNode := mapValue(root, "cases")
	if len(p.Cases) == 0 {
		add(orNode(casesNode, root), "the plan has no cases")
	}
	if len(p.Cases) > MaxCases {
		add(casesNode, "the plan has %d cases, more than the %d allowed", len(p.Cases), MaxCases)
		return errs
	}
	seen := map[string]int{}
	for i, c := range p.Cases {
		var cn *yaml.Node
		if casesNode != nil && casesNode.Kind == yaml.SequenceNode && i < len(casesNode.Content) {
			cn = casesNode.Content[i]
		}
		if c == nil {
			add(orNode(cn, casesNode), "cases[%d]: empty case", i)
			continue
		}
		c.Index = i
		if cn != nil {
			c.Line, c.Column = cn.Line, cn.Column
		}
		errs = append(errs, p.validateCase(c, cn, seen)...)
	}
	return errs
}

func (p *Plan) validateCase(c *Case, cn *yaml.Node, seen map[string]int) PlanErrors {
	var errs PlanErrors
	f := p.File
	add := func(n *yaml.Node, format string, args ...any) {
		e := errAt(f, orNode(n, cn), format, args...)
		if c.Name != "" {
			e.Msg = fmt.Sprintf("case %q: %s", c.Name, e.Msg)
		}
		errs = append(errs, e)
	}
	if !caseNameRE.MatchString(c.Name) {
		add(mapValue(cn, "name"), "name is required (1-200 printable characters)")
	} else if prev, dup := seen[c.Name]; dup {
		add(mapValue(cn, "name"), "duplicate case name (first at line %d)", prev)
	} else {
		seen[c.Name] = c.Line
	}
	if c.Workload == nil && c.Pod == "" {
		add(cn, "a case needs a workload or a pod")
	}
	if c.Workload != nil && c.Pod != "" {
		add(mapValue(cn, "pod"), "give either workload or pod, not both")
	}
	if c.Pod != "" {
		if p, err := p.insidePlanDir(c.Pod); err != nil {
			add(mapValue(cn, "pod"), "pod: %v", err)
		} else if _, err := os.Stat(p); err != nil {
			add(mapValue(cn, "pod"), "pod: %s does not exist", c.Pod)
		} else {
			c.PodPath = p
		}
	}
	if w := c.Workload; w != nil {
		wn := mapValue(cn, "workload")
		if w.Image == "" && len(w.Command) == 0 && len(w.Local) == 0 {
			add(wn, "workload needs an image, a command or a local command")
		}
		if img, ok := p.Images[w.Image]; w.Image != "" && !ok && len(w.Command) == 0 && len(w.Local) == 0 {
			_ = img
			add(mapValue(wn, "image"), "workload.image %q is not built by the plan (images:), so give its command", w.Image)
		}
		switch w.RestartPolicy {
		case "":
			w.RestartPolicy = "Always"
		case "Always", "OnFailure", "Never":
		default:
			add(mapValue(wn, "restartPolicy"), "restartPolicy must be Always, OnFailure or Never")
		}
		pn := mapValue(wn, "ports")
		for _, port := range w.Ports {
			if port < 1 || port > 65535 {
				add(pn, "port %d is not between 1 and 65535", port)
			}
		}
		for k := range w.Env {
			if k == "" || strings.ContainsAny(k, "=\x00") {
				add(mapValue(wn, "env"), "invalid environment variable name %q", k)
			}
		}
	}

	// Expectations (the default and every when: rule).
	exps := []struct {
		e *Expect
		n *yaml.Node
	}{{&c.Expect, mapValue(cn, "expect")}}
	if mapValue(cn, "expect") == nil {
		add(cn, "expect.outcome is required")
	}
	whenNode := mapValue(cn, "when")
	for i := range c.When {
		var wn *yaml.Node
		if whenNode != nil && i < len(whenNode.Content) {
			wn = whenNode.Content[i]
			c.When[i].Line = wn.Line
		}
		w := &c.When[i]
		if w.AppArmor != "" && w.AppArmor != "enabled" && w.AppArmor != "disabled" {
			add(mapValue(wn, "apparmor"), "when.apparmor must be enabled or disabled")
		}
		for _, b := range splitList(w.Backend) {
			if _, ok := lookupBackend(b); !ok && !documentedBackends[b] {
				add(mapValue(wn, "backend"), "when.backend: unknown backend %q", b)
			}
		}
		if w.Kubernetes != "" {
			if _, err := parseConstraint(w.Kubernetes); err != nil {
				add(mapValue(wn, "kubernetes"), "when.kubernetes: %v", err)
			}
		}
		if w.AppArmor == "" && w.Backend == "" && w.Kubernetes == "" {
			add(wn, "a when rule needs at least one condition (apparmor, backend, kubernetes)")
		}
		if mapValue(wn, "expect") == nil {
			add(wn, "a when rule needs an expect")
		}
		exps = append(exps, struct {
			e *Expect
			n *yaml.Node
		}{&w.Expect, mapValue(wn, "expect")})
	}
	expectsCreateError := false
	for _, x := range exps {
		e, en := x.e, x.n
		if en == nil {
			continue
		}
		if !e.Outcome.valid() {
			names := make([]string, len(Outcomes))
			for i, o := range Outcomes {
				names[i] = string(o)
			}
			add(orNode(mapValue(en, "outcome"), en), "expect.outcome %q is not one of %s", e.Outcome, strings.Join(names, ", "))
		}
		if e.Outcome == CreateContainerError {
			expectsCreateError = true
		}
		if (len(e.HTTP) > 0 || len(e.Exec) > 0 || e.Syscalls != nil || e.SeccompMode != "" || e.AppArmorLabel != "") && e.Outcome != Running {
			add(en, "http, exec, syscalls, seccompMode and apparmorLabel checks need outcome Running")
		}
		for _, h := range e.HTTP {
			if h.Port < 1 || h.Port > 65535 {
				add(mapValue(en, "http"), "http.port must be between 1 and 65535")
			}
			if h.Path != "" && !strings.HasPrefix(h.Path, "/") {
				add(mapValue(en, "http"), "http.path must start with /")
			}
			if h.Status != 0 && (h.Status < 100 || h.Status > 599) {
				add(mapValue(en, "http"), "http.status %d is not an HTTP status", h.Status)
			}
		}
		for _, x := range e.Exec {
			if len(x.Command) == 0 {
				add(mapValue(en, "exec"), "exec.command is required")
			}
		}
		switch e.SeccompMode {
		case "", "disabled", "strict", "filter":
		default:
			add(mapValue(en, "seccompMode"), "seccompMode must be disabled, strict or filter")
		}
		for _, name := range e.Denied {
			if !syscallNameRE.MatchString(name) {
				add(mapValue(en, "denied"), "%q is not a syscall name", name)
			}
		}
		if len(e.Denied) > 0 && c.Seccomp == "" {
			add(mapValue(en, "denied"), "denied needs a Localhost seccomp profile")
		}
		if s := e.Syscalls; s != nil {
			for _, name := range append(append([]string(nil), s.Denied...), s.Allowed...) {
				if !syscallNameRE.MatchString(name) {
					add(mapValue(en, "syscalls"), "%q is not a syscall name", name)
				}
			}
		}
	}

	// Profiles.
	sn := mapValue(cn, "seccomp")
	ref, err := parseSeccompRef(c.Seccomp)
	if err != nil {
		add(sn, "seccomp: %v", err)
	} else if ref.Kind == SeccompLocalhost {
		file, err := insideDir(p.Profiles.Seccomp, ref.Path)
		switch {
		case err != nil:
			add(sn, "seccomp: %v", err)
		default:
			ref.File = file
			if st, err := os.Stat(file); err != nil || st.IsDir() {
				ref.Missing = true
				if !expectsCreateError {
					add(sn, "seccomp: profile %s does not exist under %s (a case may name a missing profile only when it expects CreateContainerError)", ref.Path, p.Profiles.Seccomp)
				}
			}
		}
	}
	c.SeccompRef = ref
	aref, err := parseAppArmorRef(c.AppArmor)
	if err != nil {
		add(mapValue(cn, "apparmor"), "apparmor: %v", err)
	}
	c.AppArmorRef = aref
	return errs
}

// documentedBackends may be named in when: rules even by a build that
// does not link them.
var documentedBackends = map[string]bool{"local": true, "docker": true, "kind": true, "cluster": true}

var syscallNameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,63}$`)

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// parseSeccompRef accepts RuntimeDefault, Unconfined (any case, also the
// annotation forms runtime/default and unconfined) and Localhost paths.
func parseSeccompRef(s string) (SeccompRef, error) {
	switch strings.ToLower(s) {
	case "":
		return SeccompRef{}, nil
	case "runtimedefault", "runtime/default", "docker/default":
		return SeccompRef{Kind: SeccompRuntimeDefault}, nil
	case "unconfined":
		return SeccompRef{Kind: SeccompUnconfined}, nil
	}
	p := strings.TrimPrefix(s, "localhost/")
	if err := checkLocalhostPath(p); err != nil {
		return SeccompRef{}, err
	}
	return SeccompRef{Kind: SeccompLocalhost, Path: p}, nil
}

// checkLocalhostPath rejects what the kubelet rejects and what would leave
// the profiles directory: absolute paths and "..".
func checkLocalhostPath(p string) error {
	if p == "" {
		return errors.New("empty Localhost path")
	}
	if strings.ContainsRune(p, 0) || strings.Contains(p, "\\") {
		return fmt.Errorf("invalid Localhost path %q", p)
	}
	if strings.HasPrefix(p, "/") {
		return fmt.Errorf("Localhost path %q must be relative to the seccomp profiles root", p)
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return fmt.Errorf("Localhost path %q must not contain \"..\"", p)
		}
	}
	return nil
}

func parseAppArmorRef(s string) (AppArmorRef, error) {
	switch strings.ToLower(s) {
	case "":
		return AppArmorRef{}, nil
	case "runtime/default", "runtimedefault":
		return AppArmorRef{Kind: AppArmorRuntimeDefault}, nil
	case "unconfined":
		return AppArmorRef{Kind: AppArmorUnconfined}, nil
	}
	name, ok := strings.CutPrefix(s, "localhost/")
	if !ok {
		return AppArmorRef{}, fmt.Errorf("%q is not runtime/default, unconfined or localhost/<profile>", s)
	}
	if !apparmorName.MatchString(name) {
		return AppArmorRef{}, fmt.Errorf("invalid AppArmor profile name %q", name)
	}
	return AppArmorRef{Kind: AppArmorLocalhost, Name: name}, nil
}

func (p *Plan) resolve(s string) string {
	if filepath.IsAbs(s) {
		return filepath.Clean(s)
	}
	return filepath.Join(p.Dir, s)
}

// insidePlanDir resolves a plan-relative path and refuses paths that leave
// the plan's directory (plans come from pull requests: untrusted).
func (p *Plan) insidePlanDir(s string) (string, error) {
	if filepath.IsAbs(s) {
		return "", fmt.Errorf("%q must be relative to the plan's directory", s)
	}
	return insideDir(p.Dir, s)
}

// insideDir joins rel to dir and checks, following symlinks, that the
// result stays inside dir.
func insideDir(dir, rel string) (string, error) {
	if dir == "" {
		return "", errors.New("no base directory")
	}
	j := filepath.Join(dir, filepath.FromSlash(rel))
	if !within(dir, j) {
		return "", fmt.Errorf("%q leaves %s", rel, dir)
	}
	// Follow symlinks for what exists.
	rd, err1 := filepath.EvalSymlinks(dir)
	rj, err2 := filepath.EvalSymlinks(j)
	if err1 == nil && err2 == nil && !within(rd, rj) {
		return "", fmt.Errorf("%q leaves %s through a symbolic link", rel, dir)
	}
	return j, nil
}

func within(dir, p string) bool {
	r, err := filepath.Rel(dir, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) && !filepath.IsAbs(r)
}

// Expectation returns the expectation that applies to c in env and the
// when: rule that chose it (nil for the default).
func (c *Case) Expectation(env Env) (Expect, *WhenRule) {
	for i := range c.When {
		w := &c.When[i]
		if w.Condition.Matches(env) {
			return w.Expect, w
		}
	}
	return c.Expect, nil
}

// Matches reports whether every condition given holds in env.
func (c Condition) Matches(env Env) bool {
	if c.AppArmor != "" && (c.AppArmor == "enabled") != env.AppArmor {
		return false
	}
	if c.Backend != "" {
		ok := false
		for _, b := range splitList(c.Backend) {
			if b == env.Backend {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	if c.Kubernetes != "" {
		con, err := parseConstraint(c.Kubernetes)
		if err != nil || env.Kubernetes == "" || !con.match(env.Kubernetes) {
			return false
		}
	}
	return true
}

// constraint is "<op><major>.<minor>" with op one of < <= > >= = ==.
type constraint struct {
	op           string
	major, minor int
}

func parseConstraint(s string) (constraint, error) {
	s = strings.TrimSpace(s)
	var c constraint
	for _, op := range []string{"<=", ">=", "==", "<", ">", "="} {
		if strings.HasPrefix(s, op) {
			c.op, s = op, strings.TrimSpace(s[len(op):])
			break
		}
	}
	if c.op == "" {
		c.op = "="
	}
	maj, min, ok := parseVersion(s)
	if !ok {
		return c, fmt.Errorf("%q is not a version constraint such as <1.24 or >=1.30", s)
	}
	c.major, c.minor = maj, min
	return c, nil
}

// parseVersion reads "1.34", "v1.34.2", "1.34.0-rc.1".
func parseVersion(s string) (int, int, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	var maj, min int
	parts := strings.SplitN(s, ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	if _, err := fmt.Sscanf(parts[0], "%d", &maj); err != nil {
		return 0, 0, false
	}
	digits := parts[1]
	for i, r := range digits {
		if r < '0' || r > '9' {
			digits = digits[:i]
			break
		}
	}
	if _, err := fmt.Sscanf(digits, "%d", &min); err != nil {
		return 0, 0, false
	}
	return maj, min, true
}

func (c constraint) match(version string) bool {
	maj, min, ok := parseVersion(version)
	if !ok {
		return false
	}
	cmp := 0
	switch {
	case maj < c.major || (maj == c.major && min < c.minor):
		cmp = -1
	case maj > c.major || (maj == c.major && min > c.minor):
		cmp = 1
	}
	switch c.op {
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case ">=":
		return cmp >= 0
	default:
		return cmp == 0
	}
}

func dedupe(es PlanErrors) PlanErrors {
	out := es[:0]
	seen := map[string]bool{}
	for _, e := range es {
		k := e.Error()
		if !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}
