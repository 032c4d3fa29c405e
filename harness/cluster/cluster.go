// Package cluster is the harness backend that runs each case as a pod on
// an existing Kubernetes cluster, through a kubeconfig: in a namespace it
// creates and deletes, with the plan's profiles installed on every node by
// a short-lived DaemonSet (seccomp files under the kubelet's seccomp root,
// AppArmor profiles loaded with the node's apparmor_parser). With
// --all-nodes every case runs once on every node, pinned with nodeName,
// because a profile missing on one node is exactly what breaks production.
//
// Importing the package registers the backend as "cluster".
package cluster

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/secprof/secprof/harness"
	"github.com/secprof/secprof/harness/kube"
)

// DefaultInstallerImage runs the profile installer: it needs a shell with
// mkdir, cat, mv, rm, sleep and chroot.
const DefaultInstallerImage = "busybox:1.37"

// DefaultSeccompRoot is the kubelet's default seccomp root
// (--root-dir/seccomp).
const DefaultSeccompRoot = "/var/lib/kubelet/seccomp"

// Options are the plan's test.cluster section; CLI flags override them.
type Options struct {
	// Kubeconfig is the kubeconfig file; default $KUBECONFIG or
	// ~/.kube/config (or the in-cluster config).
	Kubeconfig string `yaml:"kubeconfig"`
	// Context is the kubeconfig context; default its current context.
	Context string `yaml:"context"`
	// Namespace is the namespace to run in: created and deleted when it
	// does not exist, used (and left) when it does. Default
	// secprof-<random>.
	Namespace string `yaml:"namespace"`
	// AllNodes runs every case once per Ready, uncordoned node (control
	// planes too), pinned with nodeName.
	AllNodes bool `yaml:"allNodes"`
	// InstallerImage is the image of the profile installer DaemonSet.
	InstallerImage string `yaml:"installerImage"`
	// SeccompRoot is the kubelet's seccomp root on the nodes.
	SeccompRoot string `yaml:"seccompRoot"`
	// Installer says how profiles reach the nodes: "daemonset" (secprof's
	// own DaemonSet writes the files), "spo" (SeccompProfile objects for
	// the Security Profiles Operator) or "auto" (default: spo where the
	// cluster serves the operator's API, daemonset otherwise).
	Installer string `yaml:"installer"`
	// InstallTimeout bounds the wait for the profiles to be on every
	// node (default 3m).
	InstallTimeout harness.Duration `yaml:"installTimeout"`
	// ExitLag is how long kubelet may take to report a container's exit
	// on the cluster's nodes; Running verdicts wait stableFor plus this
	// (default 3s).
	ExitLag harness.Duration `yaml:"exitLag"`
}

func init() {
	harness.Register(harness.BackendSpec{
		Name:    "cluster",
		Summary: "pods on an existing cluster through a kubeconfig (profiles installed on every node)",
		New:     New,
		Options: func() any { return &Options{} },
		Flags: []harness.BackendFlag{
			{Name: "kubeconfig", Key: "kubeconfig", Usage: "kubeconfig of the cluster (default $KUBECONFIG, ~/.kube/config)"},
			{Name: "context", Key: "context", Usage: "kubeconfig context (default the current one)"},
			{Name: "namespace", Key: "namespace", Usage: "namespace to run in (default secprof-<random>, created and deleted)"},
			{Name: "all-nodes", Key: "allNodes", Bool: true, Usage: "run every case once on every Ready node (pinned with nodeName)"},
			{Name: "profile-installer", Key: "installer", Usage: "how profiles reach the nodes: auto, daemonset or spo (Security Profiles Operator)"},
		},
	})
}

// Backend is the cluster backend.
type Backend struct {
	cfg  harness.BackendConfig
	plan *harness.Plan
	opts Options
	logf func(string, ...any)

	mu        sync.Mutex
	client    kubernetes.Interface
	runner    *kube.Runner
	ns        kube.Namespace
	runID     string
	installed bool
	// dyn is set when the Security Profiles Operator installs the
	// profiles.
	dyn dynamic.Interface
	// targets are the nodes every case runs on (allNodes).
	targets  []corev1.Node
	caseNode map[*harness.Case]string
}

// New creates the backend (registered as "cluster").
func New(cfg harness.BackendConfig) (harness.Backend, error) {
	b := &Backend{cfg: cfg, plan: cfg.Plan, logf: cfg.Logf, caseNode: map[*harness.Case]string{}}
	if b.logf == nil {
		b.logf = func(string, ...any) {}
	}
	if o, ok := cfg.Options.(*Options); ok && o != nil {
		b.opts = *o
	}
	if b.opts.InstallerImage == "" {
		b.opts.InstallerImage = DefaultInstallerImage
	}
	if b.opts.SeccompRoot == "" {
		b.opts.SeccompRoot = DefaultSeccompRoot
	}
	switch b.opts.Installer {
	case "":
		b.opts.Installer = InstallerAuto
	case InstallerAuto, InstallerDaemonSet, InstallerSPO:
	default:
		return nil, fmt.Errorf("cluster.installer must be auto, daemonset or spo, not %q", b.opts.Installer)
	}
	if b.opts.InstallTimeout.D() <= 0 {
		b.opts.InstallTimeout = harness.Duration(3 * time.Minute)
	}
	if !strings.HasPrefix(b.opts.SeccompRoot, "/") {
		return nil, fmt.Errorf("cluster.seccompRoot must be an absolute path on the nodes, not %q", b.opts.SeccompRoot)
	}
	return b, nil
}

// Prepare connects, creates the namespace, installs the profiles on every
// node and, with allNodes, turns every case into one case per node.
func (b *Backend) Prepare(ctx context.Context) (harness.Env, error) {
	var env harness.Env
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if b.opts.Kubeconfig != "" {
		rules.ExplicitPath = b.opts.Kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: b.opts.Context})
	rc, err := cc.ClientConfig()
	if err != nil {
		return env, fmt.Errorf("kubeconfig: %w", err)
	}
	rc.QPS, rc.Burst = 50, 100
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return env, err
	}
	facts, err := kube.ClusterFacts(ctx, client)
	if err != nil {
		return env, err
	}
	targets := kube.ReadyNodes(facts.Nodes)
	if len(targets) == 0 {
		return env, errors.New("the cluster has no Ready node that is not cordoned")
	}

	runID := kube.RandomID(8)
	name := b.opts.Namespace
	if name == "" {
		name = "secprof-" + runID
	}
	ns, err := kube.EnsureNamespace(ctx, client, name, runID, b.opts.Namespace != "")
	b.mu.Lock()
	b.client, b.ns, b.runID = client, ns, runID
	b.mu.Unlock()
	if err != nil {
		return env, err
	}

	useSPO := false
	if b.opts.Installer != InstallerDaemonSet {
		served, err := spoServed(client.Discovery())
		if err != nil {
			return env, err
		}
		if !served && b.opts.Installer == InstallerSPO {
			return env, fmt.Errorf("--profile-installer spo: the cluster does not serve SeccompProfile (%s); install the Security Profiles Operator, or use --profile-installer daemonset", seccompProfileGVR.GroupVersion())
		}
		useSPO = served
	}

	// Read once; the operator and the DaemonSet share them.
	seccomp, apparmor, err := profileFiles(b.plan)
	if err != nil {
		return env, err
	}
	pods := kube.PodSpecOptions{Namespace: name, RunID: runID, AppArmorAnnotations: !facts.AppArmorField()}
	var where string // how the profiles got onto the nodes, for the notes
	if useSPO {
		dyn, err := dynamic.NewForConfig(rc)
		if err != nil {
			return env, err
		}
		b.mu.Lock()
		b.dyn = dyn
		b.mu.Unlock()
		waitFor := spoNodes(targets, b.opts.AllNodes)
		si, err := installSPO(ctx, dyn, client, b.plan.Profiles.Seccomp, seccomp, name, runID, waitFor, b.opts.InstallTimeout.D(), b.logf)
		if err != nil {
			return env, err
		}
		pods.LocalhostPrefix = path.Join(spoOperatorDir, name)
		pods.LocalhostPaths = si.Paths
		seccomp = nil // written by the operator
		where = fmt.Sprintf("%d seccomp profile(s) installed as SeccompProfile objects by the Security Profiles Operator on node(s) %s", len(si.Objects), strings.Join(waitFor, ", "))
	}

	b.mu.Lock()
	b.installed = true
	b.mu.Unlock()
	// The DaemonSet also loads AppArmor profiles and reports each node's
	// AppArmor state, with the operator too.
	inst, err := install(ctx, client, seccomp, apparmor, name, runID, b.opts.InstallerImage, b.opts.SeccompRoot, b.opts.InstallTimeout.D(), b.logf)
	if err != nil {
		return env, err
	}
	if !useSPO {
		pods.LocalhostPrefix = inst.Dir
		where = fmt.Sprintf("profiles under %s/%s on %d node(s)", b.opts.SeccompRoot, inst.Dir, len(inst.AppArmor))
	}

	b.mu.Lock()
	b.runner = kube.NewRunner(kube.Config{
		Client: client, REST: rc, Plan: b.plan, Logf: b.logf, ExitLag: b.opts.ExitLag.D(), Pods: pods,
	})
	b.mu.Unlock()

	env.Kubernetes = facts.Kubelet
	env.Runtime = facts.Runtime()
	env.AppArmor = len(inst.AppArmor) > 0
	var without []string
	for node, st := range inst.AppArmor {
		if st != "enabled" {
			env.AppArmor = false
			without = append(without, node)
		}
	}
	sort.Strings(without)
	if len(without) > 0 {
		env.Notes = append(env.Notes, "AppArmor is not enabled on node(s) "+strings.Join(without, ", ")+": kubelet rejects pods with AppArmor profiles there")
	}
	env.Notes = append(env.Notes, fmt.Sprintf("cluster %s, namespace %s, %s", rc.Host, name, where))

	if b.opts.AllNodes {
		b.mu.Lock()
		b.targets = targets
		b.mu.Unlock()
		names := make([]string, len(targets))
		for i, n := range targets {
			names[i] = n.Name
		}
		env.Notes = append(env.Notes, "every case runs on each of the nodes "+strings.Join(names, ", "))
	}
	return env, nil
}

// ExpandCase implements harness.CaseExpander: with allNodes, a copy of c
// per node, named "<case> @<node>", so that each node's result is
// reported on its own.
func (b *Backend) ExpandCase(c *harness.Case) []*harness.Case {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.targets) == 0 {
		return []*harness.Case{c}
	}
	out := make([]*harness.Case, 0, len(b.targets))
	for _, n := range b.targets {
		cp := *c
		cp.Name = c.Name + " @" + n.Name
		out = append(out, &cp)
		b.caseNode[&cp] = n.Name
	}
	return out
}

// Start runs case c as a pod (on its node with allNodes).
func (b *Backend) Start(ctx context.Context, c *harness.Case) (harness.Instance, error) {
	b.mu.Lock()
	r, node := b.runner, b.caseNode[c]
	b.mu.Unlock()
	if r == nil {
		return nil, errors.New("the cluster backend is not prepared")
	}
	return r.Start(ctx, c, node)
}

// Close deletes the pods, the installer (which removes the profiles from
// the nodes) and the namespace, unless asked to keep them.
func (b *Backend) Close(ctx context.Context) error {
	b.mu.Lock()
	r, client, ns, runID, installed, dyn := b.runner, b.client, b.ns, b.runID, b.installed, b.dyn
	b.mu.Unlock()
	var errs []error
	if r != nil {
		errs = append(errs, r.StopAll(ctx))
	}
	if client == nil || ns.Name == "" {
		return errors.Join(errs...)
	}
	if b.cfg.Keep {
		b.logf("cluster: kept namespace %s and the profiles installed in it", ns.Name)
		return errors.Join(errs...)
	}
	start := time.Now()
	if dyn != nil {
		errs = append(errs, uninstallSPO(ctx, dyn, ns.Name, runID, 90*time.Second))
	}
	if installed {
		errs = append(errs, uninstall(ctx, client, ns.Name, runID))
	}
	if ns.Created {
		errs = append(errs, kube.DeleteNamespace(ctx, client, ns.Name, 2*time.Minute))
	}
	b.logf("cluster: cleaned up namespace %s in %s", ns.Name, time.Since(start).Round(time.Millisecond))
	return errors.Join(errs...)
}

// spoNodes are the nodes the operator must have installed the profiles on
// before cases start: every target with allNodes, otherwise those the
// cases' pods can be scheduled on (no NoSchedule or NoExecute taint),
// or every target when all are tainted.
func spoNodes(targets []corev1.Node, allNodes bool) []string {
	var all, open []string
	for _, n := range targets {
		all = append(all, n.Name)
		tainted := false
		for _, t := range n.Spec.Taints {
			if t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute {
				tainted = true
			}
		}
		if !tainted {
			open = append(open, n.Name)
		}
	}
	if allNodes || len(open) == 0 {
		return all
	}
	return open
}
