package cluster

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/secprof/secprof/harness/filter"
	"github.com/secprof/secprof/harness/kube"
)

// The ways profiles get onto the nodes (Options.Installer).
const (
	// InstallerAuto uses the Security Profiles Operator where its
	// SeccompProfile API is served, the DaemonSet otherwise.
	InstallerAuto = "auto"
	// InstallerDaemonSet copies the files with secprof's own DaemonSet.
	InstallerDaemonSet = "daemonset"
	// InstallerSPO creates SeccompProfile objects for the Security
	// Profiles Operator's daemon to write on every node.
	InstallerSPO = "spo"
)

// spoGroup is the Security Profiles Operator's API group.
const spoGroup = "security-profiles-operator.x-k8s.io"

var (
	seccompProfileGVR = schema.GroupVersionResource{Group: spoGroup, Version: "v1beta1", Resource: "seccompprofiles"}
	nodeStatusGVR     = schema.GroupVersionResource{Group: spoGroup, Version: "v1alpha1", Resource: "securityprofilenodestatuses"}
)

// spoOperatorDir is where the operator's files appear under the
// kubelet's seccomp root: operator/<namespace>/<name>.json.
const spoOperatorDir = "operator"

// spoServed reports whether the API server serves SeccompProfile, i.e.
// whether the operator's CRDs are installed.
func spoServed(d discovery.DiscoveryInterface) (bool, error) {
	rl, err := d.ServerResourcesForGroupVersion(seccompProfileGVR.GroupVersion().String())
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("asking the API server for the Security Profiles Operator's API: %w", err)
	}
	for _, r := range rl.APIResources {
		if r.Name == seccompProfileGVR.Resource {
			return true, nil
		}
	}
	return false, nil
}

var notName = regexp.MustCompile(`[^a-z0-9.-]+`)

// spoObjectName is the SeccompProfile name for a Localhost path: the path
// without ".json", lower case, '/' and other characters an object name
// cannot hold turned into '-'.
func spoObjectName(p string) (string, error) {
	n := strings.ToLower(strings.TrimSuffix(p, ".json"))
	n = notName.ReplaceAllString(n, "-")
	n = strings.Trim(n, ".-")
	if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 || n == "" {
		return "", fmt.Errorf("Localhost profile %q cannot be named as a SeccompProfile (%s)", p, strings.Join(errs, "; "))
	}
	return n, nil
}

// spoSpec turns an OCI/Docker seccomp profile into a SeccompProfile's
// spec: the part a container runtime reads through the runtime-spec
// (containerd ignores Docker's archMap, includes, excludes and the legacy
// singular name, so the SeccompProfile leaves them out as well). What the
// operator's API cannot say is an error naming the file, never silently
// dropped.
func spoSpec(file string, data []byte) (map[string]any, error) {
	p, err := filter.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if p.DefaultAction == "" {
		return nil, fmt.Errorf("%s: no defaultAction", file)
	}
	if p.DefaultErrnoRet != nil {
		return nil, fmt.Errorf("%s: defaultErrnoRet cannot be expressed as a SeccompProfile (the operator's API has no such field); install with --profile-installer daemonset", file)
	}
	spec := map[string]any{"defaultAction": p.DefaultAction}
	if len(p.Architectures) > 0 {
		spec["architectures"] = strs(p.Architectures)
	}
	if len(p.Flags) > 0 {
		spec["flags"] = strs(p.Flags)
	}
	if p.ListenerPath != "" {
		spec["listenerPath"] = p.ListenerPath
	}
	if p.ListenerMetadata != "" {
		spec["listenerMetadata"] = p.ListenerMetadata
	}
	var calls []any
	for i, s := range p.Syscalls {
		if len(s.Names) == 0 {
			// The runtime-spec reads names only (Docker's old singular
			// name is ignored by containerd, and so here).
			continue
		}
		c := map[string]any{"names": strs(s.Names), "action": s.Action}
		if s.ErrnoRet != nil {
			c["errnoRet"] = int64(*s.ErrnoRet)
		}
		var args []any
		for j, a := range s.Args {
			if a.Value > math.MaxInt64 || a.ValueTwo > math.MaxInt64 {
				return nil, fmt.Errorf("%s: syscalls[%d].args[%d]: values above %d cannot be expressed as a SeccompProfile (the operator's API holds int64); install with --profile-installer daemonset", file, i, j, int64(math.MaxInt64))
			}
			arg := map[string]any{"index": int64(a.Index), "op": a.Op}
			if a.Value != 0 {
				arg["value"] = int64(a.Value)
			}
			if a.ValueTwo != 0 {
				arg["valueTwo"] = int64(a.ValueTwo)
			}
			args = append(args, arg)
		}
		if len(args) > 0 {
			c["args"] = args
		}
		calls = append(calls, c)
	}
	if len(calls) > 0 {
		spec["syscalls"] = calls
	}
	return spec, nil
}

func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// spoInstallation is what the operator was asked to install.
type spoInstallation struct {
	// Paths maps each Localhost path to the operator's file.
	Paths map[string]string
	// Objects are the SeccompProfile names created.
	Objects []string
}

// spoProfiles builds the SeccompProfile objects for the Localhost
// profiles (from profileFiles) of the seccomp directory dir.
func spoProfiles(dir string, seccomp map[string][]byte, ns, runID string) ([]*unstructured.Unstructured, map[string]string, error) {
	paths := make([]string, 0, len(seccomp))
	for p := range seccomp {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	byName := map[string]string{}
	mapped := map[string]string{}
	var objs []*unstructured.Unstructured
	for _, p := range paths {
		name, err := spoObjectName(p)
		if err != nil {
			return nil, nil, err
		}
		if other, ok := byName[name]; ok {
			return nil, nil, fmt.Errorf("Localhost profiles %q and %q would both be SeccompProfile %q; rename one", other, p, name)
		}
		byName[name] = p
		spec, err := spoSpec(path.Join(dir, p), seccomp[p])
		if err != nil {
			return nil, nil, err
		}
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": seccompProfileGVR.GroupVersion().String(),
			"kind":       "SeccompProfile",
			"metadata": map[string]any{
				"name": name, "namespace": ns,
				"labels":      map[string]any{kube.LabelManagedBy: kube.ManagedBy, kube.LabelRun: runID},
				"annotations": map[string]any{"secprof.dev/localhost-path": p},
			},
			"spec": spec,
		}}
		objs = append(objs, u)
		mapped[p] = path.Join(spoOperatorDir, ns, name+".json")
	}
	return objs, mapped, nil
}

// installSPO creates one SeccompProfile per Localhost profile and waits
// until the operator's daemon reports each Installed on every node in
// nodes (its SecurityProfileNodeStatus objects, owned by the profile).
func installSPO(ctx context.Context, dyn dynamic.Interface, cs kubernetes.Interface, dir string, seccomp map[string][]byte, ns, runID string, nodes []string, timeout time.Duration, logf func(string, ...any)) (*spoInstallation, error) {
	objs, mapped, err := spoProfiles(dir, seccomp, ns, runID)
	if err != nil {
		return nil, err
	}
	inst := &spoInstallation{Paths: mapped}
	if len(objs) == 0 {
		return inst, nil
	}
	start := time.Now()
	uids := map[types.UID]string{}
	for _, o := range objs {
		got, err := dyn.Resource(seccompProfileGVR).Namespace(ns).Create(ctx, o, metav1.CreateOptions{FieldValidation: "Strict"})
		if err != nil {
			hint := ""
			if apierrors.IsForbidden(err) {
				hint = "; --profile-installer daemonset installs without the operator"
			}
			return inst, fmt.Errorf("creating SeccompProfile %s (from %s): %w%s", o.GetName(), o.GetAnnotations()["secprof.dev/localhost-path"], err, hint)
		}
		inst.Objects = append(inst.Objects, o.GetName())
		uids[got.GetUID()] = o.GetName()
	}
	var pending []string
	err = wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		list, err := dyn.Resource(nodeStatusGVR).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, fmt.Errorf("listing SecurityProfileNodeStatus: %w", err)
		}
		state := map[string]map[string]string{} // profile → node → state
		for _, st := range list.Items {
			for _, ref := range st.GetOwnerReferences() {
				name, ok := uids[ref.UID]
				if !ok {
					continue
				}
				node, _, _ := unstructured.NestedString(st.Object, "nodeName")
				s, _, _ := unstructured.NestedString(st.Object, "status")
				if state[name] == nil {
					state[name] = map[string]string{}
				}
				state[name][node] = s
			}
		}
		pending = pending[:0]
		for _, name := range inst.Objects {
			for _, n := range nodes {
				switch s := state[name][n]; s {
				case "Installed":
				case "Error":
					return false, fmt.Errorf("the Security Profiles Operator reports SeccompProfile %s in state Error on node %s%s", name, n, spoEvents(ctx, cs, ns, name))
				default:
					if s == "" {
						s = "no status"
					}
					pending = append(pending, fmt.Sprintf("%s on %s (%s)", name, n, s))
				}
			}
		}
		return len(pending) == 0, nil
	})
	if err != nil {
		if ctx.Err() == nil && wait.Interrupted(err) {
			return inst, fmt.Errorf("the Security Profiles Operator did not install the profiles within %s: %s; is its daemon (spod) running on those nodes? (--profile-installer daemonset installs without it)", timeout, strings.Join(pending, ", "))
		}
		return inst, fmt.Errorf("installing the profiles through the Security Profiles Operator: %w", err)
	}
	logf("cluster: %d SeccompProfile(s) installed by the Security Profiles Operator on %d node(s) in %s", len(inst.Objects), len(nodes), time.Since(start).Round(time.Millisecond))
	return inst, nil
}

// spoEvents is the operator's last warnings about profile name (it records
// why a profile is refused, e.g. a syscall its SPOD does not allow).
func spoEvents(ctx context.Context, cs kubernetes.Interface, ns, name string) string {
	list, err := cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + name + ",involvedObject.kind=SeccompProfile"})
	if err != nil || len(list.Items) == 0 {
		return ""
	}
	var b strings.Builder
	for _, e := range list.Items {
		fmt.Fprintf(&b, "\n  %s %s: %s", e.Type, e.Reason, e.Message)
	}
	return b.String()
}

// uninstallSPO deletes the run's SeccompProfiles and waits until they are
// gone, which is when the operator's daemon has removed the files from
// every node (it holds a finalizer per node until then). A profile still
// there after timeout loses its finalizers so that the namespace can go,
// and the error says which nodes may keep its file.
func uninstallSPO(ctx context.Context, dyn dynamic.Interface, ns, runID string, timeout time.Duration) error {
	res := dyn.Resource(seccompProfileGVR).Namespace(ns)
	sel := kube.LabelRun + "=" + runID
	err := res.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: sel})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting the run's SeccompProfiles: %w", err)
	}
	var left []unstructured.Unstructured
	err = wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		list, err := res.List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			return false, err
		}
		left = list.Items
		return len(left) == 0, nil
	})
	if err == nil {
		return nil
	}
	if !wait.Interrupted(err) || ctx.Err() != nil {
		return fmt.Errorf("waiting for the Security Profiles Operator to remove the run's profiles: %w", err)
	}
	var errs []error
	for _, o := range left {
		errs = append(errs, fmt.Errorf("SeccompProfile %s/%s was not removed by the operator within %s (finalizers %v): its file may remain on those nodes", ns, o.GetName(), timeout, o.GetFinalizers()))
		patch := []byte(`{"metadata":{"finalizers":null}}`)
		if _, err := res.Patch(ctx, o.GetName(), types.MergePatchType, patch, metav1.PatchOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("dropping the finalizers of SeccompProfile %s: %w", o.GetName(), err))
		}
	}
	return errors.Join(errs...)
}
