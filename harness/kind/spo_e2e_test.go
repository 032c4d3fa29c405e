package kind_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/secprof/secprof/harness/kube"
)

// The Security Profiles Operator of the offline test environment
// (hack/build-spo.sh).
const (
	envSPOImage = "SECPROF_SPO_IMAGE"
	envSPOCRDs  = "SECPROF_SPO_CRDS"
)

// needSPO returns the operator's image and CRD file, or skips (fails in
// CI) without them.
func needSPO(t testing.TB) (image, crds string) {
	t.Helper()
	image, crds = os.Getenv(envSPOImage), os.Getenv(envSPOCRDs)
	if image == "" || crds == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s and %s are not set: in CI the offline environment (make e2e-env) must build the Security Profiles Operator", envSPOImage, envSPOCRDs)
		}
		t.Skipf("%s/%s are not set: run `make e2e-env` and `. .e2e/env`", envSPOImage, envSPOCRDs)
	}
	return image, crds
}

// applier creates manifests' objects through the dynamic client, as
// `kubectl create -f` would.
type applier struct {
	dyn    dynamic.Interface
	cs     kubernetes.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func newApplier(t testing.TB, kubeconfig string) *applier {
	t.Helper()
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	return &applier{dyn: dyn, cs: cs, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}
}

// create creates every object of the YAML stream; kinds the API server
// does not know yet (CRDs being established) are retried for a minute.
func (a *applier) create(ctx context.Context, manifest []byte) error {
	dec := k8syaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifest), 4096)
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if len(obj) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: obj}
		gvk := u.GroupVersionKind()
		err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			if meta.IsNoMatchError(err) {
				a.mapper.Reset()
				return false, nil
			}
			if err != nil {
				return false, err
			}
			var ri dynamic.ResourceInterface = a.dyn.Resource(m.Resource)
			if m.Scope.Name() == meta.RESTScopeNameNamespace {
				ri = a.dyn.Resource(m.Resource).Namespace(u.GetNamespace())
			}
			_, err = ri.Create(ctx, u, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				return true, nil
			}
			return err == nil, err
		})
		if err != nil {
			return fmt.Errorf("creating %s %s: %w", gvk.Kind, u.GetName(), err)
		}
	}
}

// deploySPO installs the operator's CRDs and its daemon on every node of
// the cluster and waits until the daemon runs everywhere.
func deploySPO(t *testing.T, ctx context.Context, kubeconfig, image, crds string) {
	t.Helper()
	a := newApplier(t, kubeconfig)
	b, err := os.ReadFile(crds)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := a.create(ctx, b); err != nil {
		t.Fatalf("SPO CRDs: %v", err)
	}
	b, err = os.ReadFile("testdata/spo-daemon.yaml")
	if err != nil {
		t.Fatal(err)
	}
	host := controlPlaneIP(t, ctx, a.cs)
	b = bytes.ReplaceAll(b, []byte("SPO_IMAGE"), []byte(image))
	b = bytes.ReplaceAll(b, []byte("SPO_APISERVER_HOST"), []byte(host))
	if err := a.create(ctx, b); err != nil {
		t.Fatalf("SPO daemon: %v", err)
	}
	err = wait.PollUntilContextTimeout(ctx, time.Second, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		ds, err := a.cs.AppsV1().DaemonSets("security-profiles-operator").Get(ctx, "spod", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		st := ds.Status
		return st.DesiredNumberScheduled > 0 && st.NumberReady == st.DesiredNumberScheduled, nil
	})
	if err != nil {
		pods, _ := a.cs.CoreV1().Pods("security-profiles-operator").List(ctx, metav1.ListOptions{})
		var sb strings.Builder
		for _, p := range pods.Items {
			for _, s := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
				fmt.Fprintf(&sb, "\n  %s/%s: %+v %+v", p.Name, s.Name, s.State, s.LastTerminationState)
			}
		}
		t.Fatalf("the SPO daemon did not get ready: %v%s", err, sb.String())
	}
	t.Logf("Security Profiles Operator daemon ready on every node in %s", time.Since(start).Round(time.Millisecond))
}

// controlPlaneIP is the InternalIP of the cluster's control-plane node.
func controlPlaneIP(t *testing.T, ctx context.Context, cs kubernetes.Interface) string {
	t.Helper()
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: "node-role.kubernetes.io/control-plane"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		for _, a := range n.Status.Addresses {
			if a.Type == "InternalIP" {
				return a.Address
			}
		}
	}
	t.Fatal("no control-plane node with an InternalIP")
	return ""
}

// spoObjectsLeft lists the SeccompProfiles of secprof's runs that are
// still in the cluster.
func spoObjectsLeft(t *testing.T, ctx context.Context, kubeconfig string) []string {
	t.Helper()
	a := newApplier(t, kubeconfig)
	m, err := a.mapper.RESTMapping(schema.GroupKind{Group: "security-profiles-operator.x-k8s.io", Kind: "SeccompProfile"}, "v1beta1")
	if err != nil {
		t.Fatal(err)
	}
	list, err := a.dyn.Resource(m.Resource).List(ctx, metav1.ListOptions{LabelSelector: kube.LabelManagedBy + "=" + kube.ManagedBy})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range list.Items {
		out = append(out, o.GetNamespace()+"/"+o.GetName())
	}
	return out
}
