package kube

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// Namespace is a namespace the harness made (or was given).
type Namespace struct {
	Name string
	// Created tells whether this run created it (and so deletes it).
	Created bool
}

// EnsureNamespace creates namespace name with the run's labels, or takes
// an existing one when reuse is allowed, then waits until pods can be
// created in it (its default service account exists). Pod Security
// admission is told to allow privileged pods in it: the profile installer
// needs host access, and workloads must not be refused for the profiles a
// plan gives them.
func EnsureNamespace(ctx context.Context, cs kubernetes.Interface, name, runID string, reuse bool) (Namespace, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		LabelManagedBy:                       ManagedBy,
		LabelRun:                             runID,
		"pod-security.kubernetes.io/enforce": "privileged",
		"pod-security.kubernetes.io/warn":    "privileged",
	}}}
	out := Namespace{Name: name}
	_, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	switch {
	case err == nil:
		out.Created = true
	case apierrors.IsAlreadyExists(err) && reuse:
	case apierrors.IsAlreadyExists(err):
		return out, fmt.Errorf("namespace %s already exists; the harness deletes the namespace it runs in, so name a new one", name)
	default:
		return out, fmt.Errorf("creating namespace %s: %w", name, err)
	}
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return out, fmt.Errorf("namespace %s: its default service account did not appear: %w", name, err)
	}
	return out, nil
}

// DeleteNamespace deletes the namespace and waits (up to timeout) until it
// is gone, so that nothing of the run is left when the harness exits.
func DeleteNamespace(ctx context.Context, cs kubernetes.Interface, name string, timeout time.Duration) error {
	zero := int64(0)
	bg := metav1.DeletePropagationBackground
	err := cs.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero, PropagationPolicy: &bg})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting namespace %s: %w", name, err)
	}
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	if err != nil {
		return fmt.Errorf("namespace %s is still terminating: %w", name, err)
	}
	return nil
}

// Facts are what a cluster tells about itself.
type Facts struct {
	// ServerVersion is the API server's version ("v1.34.2").
	ServerVersion string
	// Kubelet is the lowest kubelet version of the nodes.
	Kubelet string
	// Runtimes are the nodes' container runtimes ("containerd://1.6.20").
	Runtimes []string
	Nodes    []corev1.Node
}

// ClusterFacts reads the server version and the nodes.
func ClusterFacts(ctx context.Context, cs kubernetes.Interface) (Facts, error) {
	var f Facts
	sv, err := cs.Discovery().ServerVersion()
	if err != nil {
		return f, fmt.Errorf("reaching the API server: %w", err)
	}
	f.ServerVersion = sv.GitVersion
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return f, fmt.Errorf("listing nodes: %w", err)
	}
	f.Nodes = nodes.Items
	var lowest *version.Version
	runtimes := map[string]bool{}
	for _, n := range nodes.Items {
		runtimes[n.Status.NodeInfo.ContainerRuntimeVersion] = true
		v, err := version.ParseGeneric(n.Status.NodeInfo.KubeletVersion)
		if err != nil {
			continue
		}
		if lowest == nil || v.LessThan(lowest) {
			lowest, f.Kubelet = v, n.Status.NodeInfo.KubeletVersion
		}
	}
	for r := range runtimes {
		if r != "" {
			f.Runtimes = append(f.Runtimes, r)
		}
	}
	sort.Strings(f.Runtimes)
	if f.Kubelet == "" {
		f.Kubelet = f.ServerVersion
	}
	return f, nil
}

// AppArmorField reports whether the API server knows the appArmorProfile
// security-context field (v1.30 and later); older ones need annotations.
func (f Facts) AppArmorField() bool {
	v, err := version.ParseGeneric(f.ServerVersion)
	if err != nil {
		return true
	}
	return v.AtLeast(version.MajorMinor(1, 30))
}

// Runtime is the runtimes as one string for harness.Env.
func (f Facts) Runtime() string { return strings.Join(f.Runtimes, ", ") }

// ReadyNodes are the nodes a pinned case can run on: Ready and not
// cordoned. Tainted nodes (control planes) are included: like a
// DaemonSet's, a pinned case tolerates taints, because a profile must work
// on every node a workload may land on.
func ReadyNodes(nodes []corev1.Node) []corev1.Node {
	var out []corev1.Node
	for _, n := range nodes {
		if n.Spec.Unschedulable || !nodeReady(n) {
			continue
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func nodeReady(n corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
