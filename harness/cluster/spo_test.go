package cluster

// Unit tests of the Security Profiles Operator install path. The
// operator itself (its real daemon, built from its module) is exercised
// end to end in harness/kind's TestKindSeccompDefaultAndClusterBackend.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	dynfake "k8s.io/client-go/dynamic/fake"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/secprof/secprof/harness"
	"github.com/secprof/secprof/harness/kube"
)

func TestSPOObjectName(t *testing.T) {
	for in, want := range map[string]string{
		"profiles/fine-grained.json": "profiles-fine-grained",
		"audit.json":                 "audit",
		"Team_A/My Profile.json":     "team-a-my-profile",
		"a/b.c.json":                 "a-b.c",
	} {
		got, err := spoObjectName(in)
		if err != nil || got != want {
			t.Errorf("spoObjectName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{".json", "___.json", strings.Repeat("a", 300) + ".json"} {
		if got, err := spoObjectName(bad); err == nil {
			t.Errorf("spoObjectName(%q) = %q, want an error", bad, got)
		}
	}
}

func TestSPOSpecSeedProfiles(t *testing.T) {
	b, err := os.ReadFile("../../fixtures/seccomp/profiles/fine-grained.json")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := spoSpec("fine-grained.json", b)
	if err != nil {
		t.Fatal(err)
	}
	var orig struct {
		DefaultAction string `json:"defaultAction"`
		Architectures []string
		Syscalls      []struct {
			Names  []string
			Action string
		}
	}
	if err := json.Unmarshal(b, &orig); err != nil {
		t.Fatal(err)
	}
	if spec["defaultAction"] != orig.DefaultAction {
		t.Errorf("defaultAction %v, want %s", spec["defaultAction"], orig.DefaultAction)
	}
	calls, _ := spec["syscalls"].([]any)
	if len(calls) != len(orig.Syscalls) {
		t.Fatalf("%d syscall rules, want %d", len(calls), len(orig.Syscalls))
	}
	for i, c := range calls {
		m := c.(map[string]any)
		if m["action"] != orig.Syscalls[i].Action || !reflect.DeepEqual(m["names"], strs(orig.Syscalls[i].Names)) {
			t.Errorf("rule %d: %v, want %+v", i, m, orig.Syscalls[i])
		}
	}
	// What the API server stores must be valid JSON for its schema:
	// integers, not floats, for errnoRet and args.
	if _, err := json.Marshal(spec); err != nil {
		t.Fatal(err)
	}
}

func TestSPOSpecConversions(t *testing.T) {
	spec, err := spoSpec("p.json", []byte(`{
	  "defaultAction": "SCMP_ACT_ERRNO",
	  "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}],
	  "flags": ["SECCOMP_FILTER_FLAG_LOG"],
	  "syscalls": [
	    {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}], "includes": {"minKernel": "4.8"}},
	    {"name": "old-docker-singular", "action": "SCMP_ACT_ALLOW"},
	    {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "comment": "why"}
	  ]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"defaultAction": "SCMP_ACT_ERRNO",
		"flags":         []any{"SECCOMP_FILTER_FLAG_LOG"},
		"syscalls": []any{
			map[string]any{"names": []any{"personality"}, "action": "SCMP_ACT_ALLOW", "args": []any{map[string]any{"index": int64(0), "op": "SCMP_CMP_EQ", "value": int64(8)}}},
			map[string]any{"names": []any{"mkdir"}, "action": "SCMP_ACT_ERRNO", "errnoRet": int64(1)},
		},
	}
	if !reflect.DeepEqual(spec, want) {
		t.Errorf("spec\n got %#v\nwant %#v", spec, want)
	}
	// The unstructured object must deep-copy (the client copies it).
	(&unstructured.Unstructured{Object: map[string]any{"spec": spec}}).DeepCopy()
}

func TestSPOSpecRefusals(t *testing.T) {
	for name, tc := range map[string]struct{ json, want string }{
		"defaultErrnoRet": {`{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38}`, "defaultErrnoRet cannot be expressed"},
		"big value":       {`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ioctl"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":18446744073709551615,"op":"SCMP_CMP_EQ"}]}]}`, "syscalls[0].args[0]"},
		"no action":       {`{"syscalls":[]}`, "no defaultAction"},
		"not json":        {`{"defaultAction":`, "p.json: unexpected end"},
	} {
		_, err := spoSpec("p.json", []byte(tc.json))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, tc.want)
		}
	}
	// Podman's default profile sets defaultErrnoRet: refused with the way
	// out named.
	if b, err := os.ReadFile("/usr/share/containers/seccomp.json"); err == nil {
		if _, err := spoSpec("/usr/share/containers/seccomp.json", b); err == nil || !strings.Contains(err.Error(), "--profile-installer daemonset") {
			t.Errorf("containers-common's profile: %v", err)
		}
	}
}

func TestSPOProfilesNamesAndCollisions(t *testing.T) {
	plan := planWith(t, map[string]string{
		"profiles/a.json": `{"defaultAction":"SCMP_ACT_ALLOW"}`,
	}, nil)
	plan.Cases = []*harness.Case{
		{Name: "a", SeccompRef: harness.SeccompRef{Kind: harness.SeccompLocalhost, Path: "profiles/a.json"}},
		{Name: "missing", SeccompRef: harness.SeccompRef{Kind: harness.SeccompLocalhost, Path: "profiles/missing.json"}},
	}
	objs, mapped, err := spoProfiles(plan.Profiles.Seccomp, seccompFiles(t, plan), "ns1", "run1")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].GetName() != "profiles-a" || objs[0].GetNamespace() != "ns1" || objs[0].GetLabels()[kube.LabelRun] != "run1" {
		t.Errorf("objects %v", objs)
	}
	if want := map[string]string{"profiles/a.json": "operator/ns1/profiles-a.json"}; !reflect.DeepEqual(mapped, want) {
		t.Errorf("paths %v, want %v", mapped, want)
	}

	plan = planWith(t, map[string]string{
		"profiles/a.json": `{"defaultAction":"SCMP_ACT_ALLOW"}`,
		"profiles-a.json": `{"defaultAction":"SCMP_ACT_ALLOW"}`,
	}, nil)
	plan.Cases = []*harness.Case{
		{Name: "a", SeccompRef: harness.SeccompRef{Kind: harness.SeccompLocalhost, Path: "profiles/a.json"}},
		{Name: "b", SeccompRef: harness.SeccompRef{Kind: harness.SeccompLocalhost, Path: "profiles-a.json"}},
	}
	if _, _, err := spoProfiles(plan.Profiles.Seccomp, seccompFiles(t, plan), "ns1", "run1"); err == nil || !strings.Contains(err.Error(), "would both be") {
		t.Errorf("a name collision: %v", err)
	}
}

func TestSPONodes(t *testing.T) {
	cp := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "cp"}, Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule}}}}
	w := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "w"}}
	if got := spoNodes([]corev1.Node{cp, w}, false); !reflect.DeepEqual(got, []string{"w"}) {
		t.Errorf("without allNodes: %v", got)
	}
	if got := spoNodes([]corev1.Node{cp, w}, true); !reflect.DeepEqual(got, []string{"cp", "w"}) {
		t.Errorf("with allNodes: %v", got)
	}
	if got := spoNodes([]corev1.Node{cp}, false); !reflect.DeepEqual(got, []string{"cp"}) {
		t.Errorf("only tainted nodes: %v", got)
	}
}

// fakeSPO is a dynamic client serving the operator's two resources; the
// node statuses it lists are made by status (profile name, node) → state.
func fakeSPO(t *testing.T, status func(profile, node string) string, nodes []string) *dynfake.FakeDynamicClient {
	t.Helper()
	dyn := dynfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		seccompProfileGVR: "SeccompProfileList",
		nodeStatusGVR:     "SecurityProfileNodeStatusList",
	})
	dyn.PrependReactor("create", "seccompprofiles", func(a k8stesting.Action) (bool, runtime.Object, error) {
		u := a.(k8stesting.CreateAction).GetObject().(*unstructured.Unstructured)
		u.SetUID(types.UID("uid-" + u.GetName()))
		return false, nil, nil
	})
	dyn.PrependReactor("list", "securityprofilenodestatuses", func(a k8stesting.Action) (bool, runtime.Object, error) {
		profiles, err := dyn.Tracker().List(seccompProfileGVR, seccompProfileGVR.GroupVersion().WithKind("SeccompProfile"), a.GetNamespace())
		if err != nil {
			return true, nil, err
		}
		out := &unstructured.UnstructuredList{Object: map[string]any{"apiVersion": nodeStatusGVR.GroupVersion().String(), "kind": "SecurityProfileNodeStatusList"}}
		for _, o := range profiles.(*unstructured.UnstructuredList).Items {
			for _, n := range nodes {
				s := status(o.GetName(), n)
				if s == "" {
					continue
				}
				st := unstructured.Unstructured{Object: map[string]any{"nodeName": n, "status": s}}
				st.SetName(fmt.Sprintf("%s-%s", o.GetName(), n))
				st.SetOwnerReferences([]metav1.OwnerReference{{Kind: "SeccompProfile", Name: o.GetName(), UID: o.GetUID()}})
				out.Items = append(out.Items, st)
			}
		}
		return true, out, nil
	})
	return dyn
}

// seccompFiles is what Prepare reads for the backend's installers.
func seccompFiles(t *testing.T, plan *harness.Plan) map[string][]byte {
	t.Helper()
	seccomp, _, err := profileFiles(plan)
	if err != nil {
		t.Fatal(err)
	}
	return seccomp
}

func spoPlan(t *testing.T) *harness.Plan {
	plan := planWith(t, map[string]string{"p.json": `{"defaultAction":"SCMP_ACT_ALLOW"}`}, nil)
	plan.Cases = []*harness.Case{{Name: "a", SeccompRef: harness.SeccompRef{Kind: harness.SeccompLocalhost, Path: "p.json"}}}
	return plan
}

func TestInstallSPOWaitsForEveryNode(t *testing.T) {
	nodes := []string{"n1", "n2"}
	dyn := fakeSPO(t, func(p, n string) string { return "Installed" }, nodes)
	inst, err := installSPO(context.Background(), dyn, k8sfake.NewClientset(), "profiles", seccompFiles(t, spoPlan(t)), "ns", "run", nodes, 5*time.Second, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(inst.Objects, []string{"p"}) || inst.Paths["p.json"] != "operator/ns/p.json" {
		t.Errorf("installation %+v", inst)
	}
}

func TestInstallSPOReportsErrorsAndMissingNodes(t *testing.T) {
	nodes := []string{"n1", "n2"}
	dyn := fakeSPO(t, func(p, n string) string {
		if n == "n2" {
			return "Error"
		}
		return "Installed"
	}, nodes)
	cs := k8sfake.NewClientset(&corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "e1", Namespace: "ns"},
		InvolvedObject: corev1.ObjectReference{Kind: "SeccompProfile", Name: "p"},
		Type:           "Warning", Reason: "ProfileNotAllowed", Message: "syscall mkdir is not allowed",
	})
	_, err := installSPO(context.Background(), dyn, cs, "profiles", seccompFiles(t, spoPlan(t)), "ns", "run", nodes, 5*time.Second, t.Logf)
	if err == nil || !strings.Contains(err.Error(), "state Error on node n2") {
		t.Errorf("an Error state: %v", err)
	}

	dyn = fakeSPO(t, func(p, n string) string {
		if n == "n2" {
			return ""
		}
		return "Installed"
	}, nodes)
	_, err = installSPO(context.Background(), dyn, k8sfake.NewClientset(), "profiles", seccompFiles(t, spoPlan(t)), "ns", "run", nodes, time.Second, t.Logf)
	if err == nil || !strings.Contains(err.Error(), "p on n2 (no status)") || !strings.Contains(err.Error(), "spod") {
		t.Errorf("a node without the daemon: %v", err)
	}
}

func TestUninstallSPODropsFinalizersOfProfilesNobodyRemoves(t *testing.T) {
	dyn := fakeSPO(t, func(p, n string) string { return "" }, nil)
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": seccompProfileGVR.GroupVersion().String(), "kind": "SeccompProfile"}}
	u.SetName("p")
	u.SetNamespace("ns")
	u.SetLabels(map[string]string{kube.LabelRun: "run"})
	u.SetFinalizers([]string{"n1-delete"})
	if _, err := dyn.Resource(seccompProfileGVR).Namespace("ns").Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The fake client deletes at once; a finalizer that holds the object
	// is what a real API server does, so deletes are ignored here.
	dyn.PrependReactor("delete-collection", "seccompprofiles", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, nil
	})
	err := uninstallSPO(context.Background(), dyn, "ns", "run", time.Second)
	if err == nil || !strings.Contains(err.Error(), "was not removed by the operator") {
		t.Fatalf("error %v", err)
	}
	got, err := dyn.Resource(seccompProfileGVR).Namespace("ns").Get(context.Background(), "p", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f := got.GetFinalizers(); len(f) != 0 {
		t.Errorf("finalizers %v left", f)
	}
}

func TestInstallSPOForbidden(t *testing.T) {
	dyn := fakeSPO(t, func(p, n string) string { return "Installed" }, []string{"n1"})
	dyn.PrependReactor("create", "seccompprofiles", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(seccompProfileGVR.GroupResource(), "p", fmt.Errorf("RBAC says no"))
	})
	_, err := installSPO(context.Background(), dyn, k8sfake.NewClientset(), "profiles", seccompFiles(t, spoPlan(t)), "ns", "run", []string{"n1"}, time.Second, t.Logf)
	if err == nil || !strings.Contains(err.Error(), "forbidden") || !strings.Contains(err.Error(), "--profile-installer daemonset") {
		t.Errorf("error %v", err)
	}
}

// FuzzSPOSpec: any profile is turned into a spec or refused with an error
// naming the file; a spec is always valid JSON with its defaultAction.
func FuzzSPOSpec(f *testing.F) {
	for _, p := range []string{"audit.json", "violation.json", "fine-grained.json", "fine-grained-without-bind.json"} {
		if b, err := os.ReadFile("../../fixtures/seccomp/profiles/" + p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","args":[{"index":7,"value":1,"op":"SCMP_CMP_EQ"}]}]}`))
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		spec, err := spoSpec("f.json", b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.json") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		if spec["defaultAction"] == "" {
			t.Fatal("a spec without defaultAction")
		}
		if _, err := json.Marshal(spec); err != nil {
			t.Fatal(err)
		}
		(&unstructured.Unstructured{Object: map[string]any{"spec": spec}}).DeepCopy()
	})
}

func TestSPOServed(t *testing.T) {
	cs := k8sfake.NewClientset()
	if ok, err := spoServed(cs.Discovery()); ok || err != nil {
		t.Errorf("a cluster without the operator: %v, %v", ok, err)
	}
	cs.Resources = []*metav1.APIResourceList{{
		GroupVersion: seccompProfileGVR.GroupVersion().String(),
		APIResources: []metav1.APIResource{{Name: "seccompprofiles", Kind: "SeccompProfile", Namespaced: true}},
	}}
	if ok, err := spoServed(cs.Discovery()); !ok || err != nil {
		t.Errorf("a cluster with the operator: %v, %v", ok, err)
	}
}

func TestInstallerOption(t *testing.T) {
	for _, v := range []string{"", "auto", "daemonset", "spo"} {
		if _, err := New(harness.BackendConfig{Plan: &harness.Plan{}, Options: &Options{Installer: v}}); err != nil {
			t.Errorf("installer %q: %v", v, err)
		}
	}
	if _, err := New(harness.BackendConfig{Plan: &harness.Plan{}, Options: &Options{Installer: "operator"}}); err == nil || !strings.Contains(err.Error(), "auto, daemonset or spo") {
		t.Errorf("an unknown installer: %v", err)
	}
}
