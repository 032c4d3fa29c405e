package kube

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/secprof/secprof/harness"
)

// WorkloadContainer is the name of the container a plan workload runs in.
const WorkloadContainer = "workload"

// Labels put on everything the harness creates in a cluster.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "secprof"
	LabelRun       = "secprof.dev/run"
	LabelCase      = "secprof.dev/case"
)

// WorkloadCPURequest is the CPU a workload pod requests.
const WorkloadCPURequest = "100m"

// MaxPodManifest bounds a pod: manifest file.
const MaxPodManifest = 1 << 20

// appArmorAnnotationPrefix is the beta annotation API servers before
// v1.30 read (the field replaced it).
const appArmorAnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/"

// PodSpecOptions say how pods are made for one backend.
type PodSpecOptions struct {
	Namespace string
	// RunID labels everything of one run.
	RunID string
	// LocalhostPrefix is put before every Localhost seccomp path: the
	// cluster backend installs the plan's profiles in a directory of its
	// own under the kubelet's seccomp root; kind mounts them at the root
	// (prefix "").
	LocalhostPrefix string
	// LocalhostPaths maps Localhost paths to the paths the pods get
	// instead (taking precedence over LocalhostPrefix): the Security
	// Profiles Operator names its files operator/<namespace>/<name>.json.
	LocalhostPaths map[string]string
	// PullPolicies are the pull policies of images the backend loaded into
	// the nodes itself (Never: a pull would only hide a missing image).
	PullPolicies map[string]corev1.PullPolicy
	// AppArmorAnnotations uses the beta annotations instead of the
	// appArmorProfile field (API servers before v1.30).
	AppArmorAnnotations bool
}

// BuildPod returns the pod that runs case c, pinned to node when node is
// not "". Workload cases become a one-container pod; pod: cases are read
// from their manifest and get the case's profiles on top.
func BuildPod(plan *harness.Plan, c *harness.Case, node string, o PodSpecOptions) (*corev1.Pod, error) {
	var p *corev1.Pod
	switch {
	case c.Workload != nil:
		var err error
		if p, err = workloadPod(plan, c.Workload); err != nil {
			return nil, err
		}
	case c.PodPath != "":
		var err error
		if p, err = ReadPodManifest(c.PodPath); err != nil {
			return nil, err
		}
	default:
		return nil, harness.Skip("the case has neither a workload nor a pod manifest")
	}

	slug := Slug(c.Name, 40)
	p.TypeMeta = metav1.TypeMeta{}
	p.ObjectMeta = metav1.ObjectMeta{
		Name:        slug + "-" + randomSuffix(),
		Namespace:   o.Namespace,
		Labels:      mergeLabels(p.Labels, map[string]string{LabelManagedBy: ManagedBy, LabelRun: o.RunID, LabelCase: Slug(c.Name, 63)}),
		Annotations: p.Annotations,
	}
	if node != "" {
		p.Spec.NodeName = node
		p.Spec.NodeSelector = nil
		p.Spec.Affinity = nil
		// Pinned to every node in turn: a control plane's taints must not
		// keep (or evict) the case from it.
		p.Spec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
	}
	if p.Spec.TerminationGracePeriodSeconds == nil {
		// Nothing of a test workload needs a graceful stop.
		p.Spec.TerminationGracePeriodSeconds = ptr(int64(1))
	}
	for i := range p.Spec.Containers {
		ct := &p.Spec.Containers[i]
		if pol, ok := o.PullPolicies[ct.Image]; ok {
			ct.ImagePullPolicy = pol
		}
	}
	for i := range p.Spec.InitContainers {
		ct := &p.Spec.InitContainers[i]
		if pol, ok := o.PullPolicies[ct.Image]; ok {
			ct.ImagePullPolicy = pol
		}
	}

	if err := applySeccomp(p, c.SeccompRef, o.LocalhostPrefix, o.LocalhostPaths); err != nil {
		return nil, err
	}
	applyAppArmor(p, c.AppArmorRef, o.AppArmorAnnotations)
	return p, nil
}

// workloadPod is a plan workload as a one-container pod, with the
// defaults of the plan format: no privilege escalation (no_new_privs, as
// the seed's pods), restartPolicy Always.
func workloadPod(plan *harness.Plan, w *harness.Workload) (*corev1.Pod, error) {
	if w.Image == "" {
		return nil, harness.Skip("the workload has no image (only a local command), so it cannot run as a pod")
	}
	ct := corev1.Container{
		Name:    WorkloadContainer,
		Image:   w.Image,
		Command: append([]string(nil), w.Command...),
		Args:    append([]string(nil), w.Args...),
	}
	if img, ok := plan.Images[w.Image]; ok && len(w.Command) == 0 && len(img.Entrypoint) > 0 {
		// Plan-built images carry their entry point, but spelling it
		// out keeps the pod independent of how the image was made.
		ct.Command = append([]string(nil), img.Entrypoint...)
	}
	keys := make([]string, 0, len(w.Env))
	for k := range w.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ct.Env = append(ct.Env, corev1.EnvVar{Name: k, Value: w.Env[k]})
	}
	for _, port := range w.Ports {
		ct.Ports = append(ct.Ports, corev1.ContainerPort{ContainerPort: int32(port), Protocol: corev1.ProtocolTCP})
	}
	ape := false
	if w.AllowPrivilegeEscalation != nil {
		ape = *w.AllowPrivilegeEscalation
	}
	sc := &corev1.SecurityContext{AllowPrivilegeEscalation: &ape}
	if len(w.Capabilities.Add) > 0 || len(w.Capabilities.Drop) > 0 {
		sc.Capabilities = &corev1.Capabilities{}
		for _, a := range w.Capabilities.Add {
			sc.Capabilities.Add = append(sc.Capabilities.Add, corev1.Capability(capName(a)))
		}
		for _, d := range w.Capabilities.Drop {
			sc.Capabilities.Drop = append(sc.Capabilities.Drop, corev1.Capability(capName(d)))
		}
	}
	ct.SecurityContext = sc
	// A BestEffort pod gets the smallest CPU share there is: on a busy
	// node a starved server may reach the syscall its profile denies only
	// after it has passed as Running. A small request makes it Burstable.
	ct.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(WorkloadCPURequest)}
	restart := corev1.RestartPolicyAlways
	switch w.RestartPolicy {
	case "OnFailure":
		restart = corev1.RestartPolicyOnFailure
	case "Never":
		restart = corev1.RestartPolicyNever
	}
	no := false
	return &corev1.Pod{Spec: corev1.PodSpec{
		Containers:                   []corev1.Container{ct},
		RestartPolicy:                restart,
		AutomountServiceAccountToken: &no,
		EnableServiceLinks:           &no,
	}}, nil
}

// capName turns "net_admin" / "CAP_NET_ADMIN" into Kubernetes' "NET_ADMIN".
func capName(s string) string {
	s = strings.ToUpper(s)
	return strings.TrimPrefix(s, "CAP_")
}

// ReadPodManifest reads a Pod manifest (YAML or JSON), strictly: unknown
// fields are errors, as a misspelt securityContext key would otherwise be
// silently dropped by the API server.
func ReadPodManifest(file string) (*corev1.Pod, error) {
	st, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	if st.Size() > MaxPodManifest {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d allowed for a pod manifest", file, st.Size(), MaxPodManifest)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return DecodePod(file, b)
}

var strictCodecs = serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict)

// DecodePod decodes one Pod manifest.
func DecodePod(file string, b []byte) (*corev1.Pod, error) {
	obj, gvk, err := strictCodecs.UniversalDeserializer().Decode(b, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, fmt.Errorf("%s: a pod: manifest must be a v1 Pod, not %s", file, describeGVK(gvk, obj))
	}
	if len(p.Spec.Containers) == 0 {
		return nil, fmt.Errorf("%s: the pod has no containers", file)
	}
	return p, nil
}

func describeGVK(gvk interface{ String() string }, obj runtime.Object) string {
	if gvk != nil {
		return gvk.String()
	}
	return fmt.Sprintf("%T", obj)
}

// applySeccomp sets the case's seccomp profile at the pod level (as the
// seed's pods do), replacing the containers' own, and puts the backend's
// prefix before every Localhost path of the pod.
func applySeccomp(p *corev1.Pod, ref harness.SeccompRef, prefix string, mapped map[string]string) error {
	if ref.Kind != harness.SeccompDefault {
		prof := &corev1.SeccompProfile{}
		switch ref.Kind {
		case harness.SeccompRuntimeDefault:
			prof.Type = corev1.SeccompProfileTypeRuntimeDefault
		case harness.SeccompUnconfined:
			prof.Type = corev1.SeccompProfileTypeUnconfined
		case harness.SeccompLocalhost:
			lp := ref.Path
			prof.Type, prof.LocalhostProfile = corev1.SeccompProfileTypeLocalhost, &lp
		}
		if p.Spec.SecurityContext == nil {
			p.Spec.SecurityContext = &corev1.PodSecurityContext{}
		}
		p.Spec.SecurityContext.SeccompProfile = prof
		for _, cs := range allContainers(p) {
			if cs.SecurityContext != nil {
				cs.SecurityContext.SeccompProfile = nil
			}
		}
	}
	if prefix == "" && len(mapped) == 0 {
		return nil
	}
	fix := func(sp *corev1.SeccompProfile) error {
		if sp == nil || sp.Type != corev1.SeccompProfileTypeLocalhost || sp.LocalhostProfile == nil {
			return nil
		}
		lp := *sp.LocalhostProfile
		if strings.HasPrefix(lp, "/") || strings.Contains("/"+lp+"/", "/../") {
			return fmt.Errorf("localhostProfile %q must be a relative path without \"..\"", lp)
		}
		np, ok := mapped[lp]
		if !ok {
			np = path.Join(prefix, lp)
		}
		sp.LocalhostProfile = &np
		return nil
	}
	if p.Spec.SecurityContext != nil {
		if err := fix(p.Spec.SecurityContext.SeccompProfile); err != nil {
			return err
		}
	}
	for _, cs := range allContainers(p) {
		if cs.SecurityContext != nil {
			if err := fix(cs.SecurityContext.SeccompProfile); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyAppArmor gives every container the case's AppArmor profile.
func applyAppArmor(p *corev1.Pod, ref harness.AppArmorRef, annotations bool) {
	if ref.Kind == harness.AppArmorNone {
		if annotations {
			moveAppArmorToAnnotations(p)
		}
		return
	}
	prof := &corev1.AppArmorProfile{}
	switch ref.Kind {
	case harness.AppArmorRuntimeDefault:
		prof.Type = corev1.AppArmorProfileTypeRuntimeDefault
	case harness.AppArmorUnconfined:
		prof.Type = corev1.AppArmorProfileTypeUnconfined
	case harness.AppArmorLocalhost:
		name := ref.Name
		prof.Type, prof.LocalhostProfile = corev1.AppArmorProfileTypeLocalhost, &name
	}
	for _, cs := range allContainers(p) {
		if cs.SecurityContext == nil {
			cs.SecurityContext = &corev1.SecurityContext{}
		}
		cp := *prof
		cs.SecurityContext.AppArmorProfile = &cp
	}
	if p.Spec.SecurityContext != nil {
		p.Spec.SecurityContext.AppArmorProfile = nil
	}
	// The field and an annotation that disagree are rejected by the API
	// server: drop the manifest's annotations for these containers.
	for k := range p.Annotations {
		if strings.HasPrefix(k, appArmorAnnotationPrefix) {
			delete(p.Annotations, k)
		}
	}
	if annotations {
		moveAppArmorToAnnotations(p)
	}
}

// moveAppArmorToAnnotations writes the appArmorProfile fields as the beta
// annotations, which is all API servers before v1.30 understand.
func moveAppArmorToAnnotations(p *corev1.Pod) {
	var podProf *corev1.AppArmorProfile
	if p.Spec.SecurityContext != nil {
		podProf, p.Spec.SecurityContext.AppArmorProfile = p.Spec.SecurityContext.AppArmorProfile, nil
	}
	for _, cs := range allContainers(p) {
		prof := podProf
		if cs.SecurityContext != nil && cs.SecurityContext.AppArmorProfile != nil {
			prof, cs.SecurityContext.AppArmorProfile = cs.SecurityContext.AppArmorProfile, nil
		}
		if prof == nil {
			continue
		}
		v := ""
		switch prof.Type {
		case corev1.AppArmorProfileTypeRuntimeDefault:
			v = "runtime/default"
		case corev1.AppArmorProfileTypeUnconfined:
			v = "unconfined"
		case corev1.AppArmorProfileTypeLocalhost:
			if prof.LocalhostProfile != nil {
				v = "localhost/" + *prof.LocalhostProfile
			}
		}
		if v == "" {
			continue
		}
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		p.Annotations[appArmorAnnotationPrefix+cs.Name] = v
	}
}

func allContainers(p *corev1.Pod) []*corev1.Container {
	var out []*corev1.Container
	for i := range p.Spec.InitContainers {
		out = append(out, &p.Spec.InitContainers[i])
	}
	for i := range p.Spec.Containers {
		out = append(out, &p.Spec.Containers[i])
	}
	return out
}

var nonDNS = regexp.MustCompile(`[^a-z0-9]+`)

// Slug turns a case name into a DNS label part of at most n characters.
func Slug(s string, n int) string {
	s = nonDNS.ReplaceAllString(strings.ToLower(s), "-")
	s = strings.Trim(s, "-")
	if len(s) > n {
		s = strings.TrimRight(s[:n], "-")
	}
	if s == "" {
		s = "case"
	}
	return s
}

// RandomID returns n random lowercase hex characters.
func RandomID(n int) string {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand does not fail on Linux; a fixed value still works
		// because names are also checked by the API server.
		return strings.Repeat("0", n)
	}
	return hex.EncodeToString(b)[:n]
}

func randomSuffix() string { return RandomID(5) }

func mergeLabels(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// errNotRunning is returned by exec, probe and port-forward on a pod
// whose workload does not run.
var errNotRunning = errors.New("the workload is not running")
