package kube

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/secprof/secprof/harness"
)

func testPlan(t *testing.T) *harness.Plan {
	t.Helper()
	return &harness.Plan{Images: map[string]*harness.Image{
		"secprof/http-echo:dev": {Build: "x", Binary: "/http-echo", Entrypoint: []string{"/http-echo"}},
		"secprof/probe:dev":     {Build: "y", Binary: "/probe", Entrypoint: []string{"/probe"}},
	}, Probe: "secprof/probe:dev"}
}

func TestBuildPodFromWorkload(t *testing.T) {
	c := &harness.Case{
		Name: "Fine-grained profile serves HTTP!",
		Workload: &harness.Workload{Image: "secprof/http-echo:dev", Args: []string{"-text=hi"}, Ports: []int{5678},
			Env: map[string]string{"B": "2", "A": "1"}, RestartPolicy: "Never",
			Capabilities: harness.Capabilities{Add: []string{"net_admin"}, Drop: []string{"CAP_KILL"}}},
		SeccompRef:  harness.SeccompRef{Kind: harness.SeccompLocalhost, Path: "profiles/fine-grained.json"},
		AppArmorRef: harness.AppArmorRef{Kind: harness.AppArmorLocalhost, Name: "k8s-apparmor-example-deny-write"},
	}
	p, err := BuildPod(testPlan(t), c, "", PodSpecOptions{Namespace: "ns", RunID: "r1",
		PullPolicies: map[string]corev1.PullPolicy{"secprof/http-echo:dev": corev1.PullNever}})
	if err != nil {
		t.Fatal(err)
	}
	if errs := validation.IsDNS1123Subdomain(p.Name); len(errs) > 0 || !strings.HasPrefix(p.Name, "fine-grained-profile-serves-http-") {
		t.Errorf("name %q: %v", p.Name, errs)
	}
	for k, v := range p.Labels {
		if len(validation.IsValidLabelValue(v)) > 0 {
			t.Errorf("label %s=%q is not a valid label value", k, v)
		}
	}
	if p.Namespace != "ns" || p.Labels[LabelRun] != "r1" || p.Labels[LabelManagedBy] != ManagedBy {
		t.Errorf("meta %+v", p.ObjectMeta)
	}
	ct := p.Spec.Containers[0]
	if strings.Join(ct.Command, " ") != "/http-echo" || strings.Join(ct.Args, " ") != "-text=hi" {
		t.Errorf("command %v args %v", ct.Command, ct.Args)
	}
	if ct.ImagePullPolicy != corev1.PullNever {
		t.Errorf("pull policy %q", ct.ImagePullPolicy)
	}
	if len(ct.Env) != 2 || ct.Env[0].Name != "A" || ct.Env[1].Name != "B" {
		t.Errorf("env %v", ct.Env)
	}
	if len(ct.Ports) != 1 || ct.Ports[0].ContainerPort != 5678 {
		t.Errorf("ports %v", ct.Ports)
	}
	sc := ct.SecurityContext
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation must default to false (no_new_privs, as the seed's pods)")
	}
	if sc.Capabilities == nil || sc.Capabilities.Add[0] != "NET_ADMIN" || sc.Capabilities.Drop[0] != "KILL" {
		t.Errorf("capabilities %+v", sc.Capabilities)
	}
	if sc.AppArmorProfile == nil || sc.AppArmorProfile.Type != corev1.AppArmorProfileTypeLocalhost || *sc.AppArmorProfile.LocalhostProfile != "k8s-apparmor-example-deny-write" {
		t.Errorf("apparmor %+v", sc.AppArmorProfile)
	}
	sp := p.Spec.SecurityContext.SeccompProfile
	if sp.Type != corev1.SeccompProfileTypeLocalhost || *sp.LocalhostProfile != "profiles/fine-grained.json" {
		t.Errorf("seccomp %+v", sp)
	}
	if p.Spec.RestartPolicy != corev1.RestartPolicyNever || *p.Spec.AutomountServiceAccountToken {
		t.Errorf("spec %+v", p.Spec)
	}
	if q := ct.Resources.Requests[corev1.ResourceCPU]; q.String() != WorkloadCPURequest {
		t.Errorf("cpu request %s", q.String())
	}
	if p.Spec.NodeName != "" || len(p.Spec.Tolerations) != 0 {
		t.Errorf("unpinned pod has node %q / tolerations %v", p.Spec.NodeName, p.Spec.Tolerations)
	}

	pinned, err := BuildPod(testPlan(t), c, "node-2", PodSpecOptions{Namespace: "ns", AppArmorAnnotations: true, LocalhostPrefix: "secprof-abc"})
	if err != nil {
		t.Fatal(err)
	}
	if pinned.Spec.NodeName != "node-2" || len(pinned.Spec.Tolerations) != 1 || pinned.Spec.Tolerations[0].Operator != corev1.TolerationOpExists {
		t.Errorf("pinned pod: node %q tolerations %v", pinned.Spec.NodeName, pinned.Spec.Tolerations)
	}
	if got := *pinned.Spec.SecurityContext.SeccompProfile.LocalhostProfile; got != "secprof-abc/profiles/fine-grained.json" {
		t.Errorf("prefixed Localhost path %q", got)
	}
	if pinned.Spec.Containers[0].SecurityContext.AppArmorProfile != nil ||
		pinned.Annotations[appArmorAnnotationPrefix+WorkloadContainer] != "localhost/k8s-apparmor-example-deny-write" {
		t.Errorf("API servers before v1.30 need the annotation: %v", pinned.Annotations)
	}
}

func TestBuildPodSkips(t *testing.T) {
	c := &harness.Case{Name: "local only", Workload: &harness.Workload{Local: []string{"/bin/true"}}}
	_, err := BuildPod(testPlan(t), c, "", PodSpecOptions{})
	if _, ok := harness.IsSkip(err); !ok {
		t.Errorf("a workload without image: err %v, want a skip", err)
	}
}

const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: fine-pod
  annotations:
    container.apparmor.security.beta.kubernetes.io/test-container: localhost/old
spec:
  securityContext:
    seccompProfile: {type: Localhost, localhostProfile: profiles/fine-grained.json}
  initContainers:
  - name: init
    image: busybox
    securityContext:
      seccompProfile: {type: Localhost, localhostProfile: profiles/audit.json}
  containers:
  - name: test-container
    image: hashicorp/http-echo:0.2.3
    args: ["-text=just made some syscalls!"]
`

func writeManifest(t *testing.T, content string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "pod.yaml")
	if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestBuildPodFromManifest(t *testing.T) {
	c := &harness.Case{Name: "the seed's pod", PodPath: writeManifest(t, manifest)}
	p, err := BuildPod(testPlan(t), c, "", PodSpecOptions{Namespace: "ns", LocalhostPrefix: "secprof-x"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name == "fine-pod" || p.Namespace != "ns" {
		t.Errorf("the manifest's name/namespace were kept: %s/%s", p.Namespace, p.Name)
	}
	if got := *p.Spec.SecurityContext.SeccompProfile.LocalhostProfile; got != "secprof-x/profiles/fine-grained.json" {
		t.Errorf("pod-level Localhost %q", got)
	}
	if got := *p.Spec.InitContainers[0].SecurityContext.SeccompProfile.LocalhostProfile; got != "secprof-x/profiles/audit.json" {
		t.Errorf("container-level Localhost %q", got)
	}
	if p.Annotations[appArmorAnnotationPrefix+"test-container"] != "localhost/old" {
		t.Errorf("the manifest's own AppArmor annotation was dropped: %v", p.Annotations)
	}

	// The case's profiles override the manifest's.
	c.SeccompRef = harness.SeccompRef{Kind: harness.SeccompRuntimeDefault}
	c.AppArmorRef = harness.AppArmorRef{Kind: harness.AppArmorUnconfined}
	p, err = BuildPod(testPlan(t), c, "", PodSpecOptions{Namespace: "ns"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Spec.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault || p.Spec.InitContainers[0].SecurityContext.SeccompProfile != nil {
		t.Errorf("seccomp not overridden: %+v", p.Spec.SecurityContext.SeccompProfile)
	}
	if len(p.Annotations) != 0 {
		t.Errorf("a stale AppArmor annotation would contradict the field: %v", p.Annotations)
	}
	for _, ct := range allContainers(p) {
		if ct.SecurityContext.AppArmorProfile == nil || ct.SecurityContext.AppArmorProfile.Type != corev1.AppArmorProfileTypeUnconfined {
			t.Errorf("%s: apparmor %+v", ct.Name, ct.SecurityContext.AppArmorProfile)
		}
	}

	escape := strings.Replace(manifest, "profiles/fine-grained.json", "../../etc/x.json", 1)
	if _, err := BuildPod(testPlan(t), &harness.Case{Name: "x", PodPath: writeManifest(t, escape)}, "", PodSpecOptions{LocalhostPrefix: "p"}); err == nil {
		t.Error("a Localhost path with .. was accepted")
	}
}

func TestDecodePodErrors(t *testing.T) {
	for name, src := range map[string]string{
		"unknown field":  strings.Replace(manifest, "args:", "argz:", 1),
		"not a pod":      "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n",
		"no containers":  "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {}\n",
		"not yaml":       "{[",
		"no kind":        "metadata: {name: x}\n",
		"binary garbage": "\x00\x01\x02",
	} {
		if _, err := DecodePod("pod.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), "pod.yaml") {
			t.Errorf("%s: err %v", name, err)
		}
	}
	if _, err := DecodePod("pod.yaml", []byte(manifest)); err != nil {
		t.Error(err)
	}
}

func FuzzDecodePod(f *testing.F) {
	f.Add([]byte(manifest))
	f.Add([]byte(`{"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"name":"a","image":"b"}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePod("f.yaml", b)
		if err != nil {
			return
		}
		// Whatever decodes can be turned into a case's pod without panic.
		c := &harness.Case{Name: "fuzz", SeccompRef: harness.SeccompRef{Kind: harness.SeccompLocalhost, Path: "p.json"},
			AppArmorRef: harness.AppArmorRef{Kind: harness.AppArmorLocalhost, Name: "x"}}
		_ = applySeccomp(p, c.SeccompRef, "pre", nil)
		applyAppArmor(p, c.AppArmorRef, true)
		_ = podSeccompProfiles(p)
	})
}

func TestLocalhostPaths(t *testing.T) {
	plan := testPlan(t)
	plan.Cases = []*harness.Case{
		{Name: "a", SeccompRef: harness.SeccompRef{Kind: harness.SeccompLocalhost, Path: "profiles/audit.json"}},
		{Name: "b", SeccompRef: harness.SeccompRef{Kind: harness.SeccompRuntimeDefault}},
		{Name: "c", PodPath: writeManifest(t, manifest)},
		{Name: "d", SeccompRef: harness.SeccompRef{Kind: harness.SeccompLocalhost, Path: "profiles/audit.json"}},
	}
	got, err := LocalhostPaths(plan)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "profiles/audit.json,profiles/fine-grained.json" {
		t.Errorf("got %v", got)
	}
	for _, bad := range []string{"a b.json", "x/../y.json", "./x.json", "x\ny.json", "-x.json", "x//y.json", "/abs.json"} {
		plan.Cases = []*harness.Case{{Name: "bad", SeccompRef: harness.SeccompRef{Kind: harness.SeccompLocalhost, Path: bad}}}
		if _, err := LocalhostPaths(plan); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Fine-grained profile serves HTTP!": "fine-grained-profile-serves-http",
		"":                                  "case",
		"***":                               "case",
		"日本語 case":                          "case",
		strings.Repeat("ab ", 30):           "ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-a",
	} {
		if got := Slug(in, 40); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDefaultProbePath(t *testing.T) {
	if got := DefaultProbePath(testPlan(t)); got != "/probe" {
		t.Errorf("got %q", got)
	}
	if got := DefaultProbePath(&harness.Plan{}); got != "/probe" {
		t.Errorf("got %q", got)
	}
}

// The SPO installer names files itself: mapped paths win over the prefix,
// paths it does not know (a missing profile) keep the prefix.
func TestBuildPodMappedLocalhostPaths(t *testing.T) {
	c := &harness.Case{Name: "the seed's pod", PodPath: writeManifest(t, manifest)}
	p, err := BuildPod(testPlan(t), c, "", PodSpecOptions{
		Namespace: "ns", LocalhostPrefix: "operator/ns",
		LocalhostPaths: map[string]string{"profiles/fine-grained.json": "operator/ns/profiles-fine-grained.json"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := *p.Spec.SecurityContext.SeccompProfile.LocalhostProfile; got != "operator/ns/profiles-fine-grained.json" {
		t.Errorf("pod-level Localhost %q", got)
	}
	if got := *p.Spec.InitContainers[0].SecurityContext.SeccompProfile.LocalhostProfile; got != "operator/ns/profiles/audit.json" {
		t.Errorf("container-level Localhost %q", got)
	}
}
