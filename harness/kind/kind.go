// Package kind is the harness backend that runs each case as a pod on a
// kind cluster it creates with the sigs.k8s.io/kind library: the node
// mounts the plan's seccomp profiles under the kubelet's seccomp root
// through extraMounts, exactly as the seed tutorial's kind.yaml does, so a
// case's Localhost profile "profiles/audit.json" is the node's
// /var/lib/kubelet/seccomp/profiles/audit.json. Pods are run and watched
// by the shared runner of package kube.
//
// Importing the package registers the backend as "kind".
package kind

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/kind/pkg/apis/config/defaults"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
	kindlog "sigs.k8s.io/kind/pkg/log"

	corev1 "k8s.io/api/core/v1"

	"github.com/secprof/secprof/harness"
	"github.com/secprof/secprof/harness/aaload"
	"github.com/secprof/secprof/harness/kube"
)

// EnvNodeImage names the environment variable that gives the default node
// image (hack/e2e-env.sh writes it for the offline test environment).
const EnvNodeImage = "SECPROF_KIND_NODE_IMAGE"

// DefaultReuseName is the cluster name when reuse is asked without one.
const DefaultReuseName = "secprof"

// Options are the plan's test.kind section; CLI flags override them.
type Options struct {
	// NodeImage is the kind node image; default $SECPROF_KIND_NODE_IMAGE,
	// else kind's own default.
	NodeImage string `yaml:"nodeImage"`
	// ClusterName names the cluster; default secprof-<random> (or
	// "secprof" with reuseCluster).
	ClusterName string `yaml:"clusterName"`
	// ReuseCluster runs on an existing cluster of that name, or creates
	// it and keeps it for the next run; such a cluster is never deleted.
	ReuseCluster bool `yaml:"reuseCluster"`
	// KeepCluster leaves the cluster (and loaded AppArmor profiles) behind.
	KeepCluster bool `yaml:"keepCluster"`
	// SeccompDefault turns on the kubelet's seccompDefault: containers
	// without a profile run under RuntimeDefault.
	SeccompDefault bool `yaml:"seccompDefault"`
	// Config is a kind config file (relative to the plan) merged with
	// what the backend needs.
	Config string `yaml:"config"`
	// Workers adds worker nodes.
	Workers int `yaml:"workers"`
	// Offline forces the settings of a node image without kind's CNI,
	// kube-proxy and CoreDNS images (default: detected from the image).
	Offline *bool `yaml:"offline"`
	// WaitForReady bounds the wait for the nodes to be Ready (default 3m).
	WaitForReady harness.Duration `yaml:"waitForReady"`
	// ExitLag is how long kubelet may take to report a container's exit
	// on this cluster's nodes; Running verdicts wait stableFor plus this
	// (default 3s).
	ExitLag harness.Duration `yaml:"exitLag"`
	// LoadImages are more images to put into the nodes (plan-built or from
	// the local Docker engine) than the cases use, e.g. for the cluster
	// backend's installer run against the same cluster later.
	LoadImages []string `yaml:"loadImages"`
}

func init() {
	harness.Register(harness.BackendSpec{
		Name:    "kind",
		Summary: "pods on a kind cluster created for the run (profiles mounted through extraMounts)",
		New:     New,
		Options: func() any { return &Options{} },
		Flags: []harness.BackendFlag{
			{Name: "kind-node-image", Key: "nodeImage", Usage: "kind node image (default $" + EnvNodeImage + ", else kind's default)"},
			{Name: "cluster-name", Key: "clusterName", Usage: "name of the kind cluster (default secprof-<random>)"},
			{Name: "reuse-cluster", Key: "reuseCluster", Bool: true, Usage: "run on the kind cluster of that name if it exists, else create it and keep it"},
			{Name: "keep-cluster", Key: "keepCluster", Bool: true, Usage: "keep the kind cluster after the run"},
			{Name: "seccomp-default", Key: "seccompDefault", Bool: true, Usage: "turn on the kubelet's seccompDefault (RuntimeDefault for pods without a profile)"},
		},
	})
}

// Backend is the kind backend.
type Backend struct {
	cfg  harness.BackendConfig
	plan *harness.Plan
	opts Options
	logf func(string, ...any)

	name        string
	image       string
	keep        bool
	keepCluster bool
	provider    *cluster.Provider
	tmp         string
	kubeconfig  string
	network     string

	mu             sync.Mutex
	created        bool          // this run (started to) create the cluster
	creating       chan struct{} // closed when an in-flight Create returned
	networkExisted bool
	client         kubernetes.Interface
	runner         *kube.Runner
	ns             kube.Namespace
	apparmor       []string
	facts          NodeImageFacts
}

// New creates the backend (registered as "kind").
func New(cfg harness.BackendConfig) (harness.Backend, error) {
	b := &Backend{cfg: cfg, plan: cfg.Plan, logf: cfg.Logf}
	if b.logf == nil {
		b.logf = func(string, ...any) {}
	}
	if o, ok := cfg.Options.(*Options); ok && o != nil {
		b.opts = *o
	}
	// keep leaves everything (namespace, AppArmor profiles) for
	// debugging; a cluster made to be reused stays for the next run, but
	// clean.
	b.keep = cfg.Keep || b.opts.KeepCluster
	b.keepCluster = b.keep || b.opts.ReuseCluster
	b.name = b.opts.ClusterName
	switch {
	case b.name == "" && b.opts.ReuseCluster:
		b.name = DefaultReuseName
	case b.name == "":
		b.name = "secprof-" + kube.RandomID(6)
	}
	b.image = b.opts.NodeImage
	if b.image == "" {
		b.image = os.Getenv(EnvNodeImage)
	}
	if b.image == "" {
		b.image = defaults.Image
	}
	b.network = "kind"
	if n := os.Getenv("KIND_EXPERIMENTAL_DOCKER_NETWORK"); n != "" {
		b.network = n
	}
	b.provider = cluster.NewProvider(cluster.ProviderWithDocker(), cluster.ProviderWithLogger(kindLogger{b.logf}))
	return b, nil
}

// Name is the cluster's name.
func (b *Backend) Name() string { return b.name }

// Prepare creates (or reuses) the cluster, loads the images and AppArmor
// profiles, and creates the run's namespace.
func (b *Backend) Prepare(ctx context.Context) (harness.Env, error) {
	// A kind node is a container: its kubelet and runc use the host's
	// kernel, so AppArmor is whatever the host has, and profiles are
	// loaded into the host's kernel (apparmor_parser -r), as the seed
	// tutorial loads them on every node.
	env := harness.Env{AppArmor: aaload.Enabled()}
	if err := dockerReachable(ctx); err != nil {
		return env, err
	}
	tmp, err := os.MkdirTemp("", "secprof-kind-")
	if err != nil {
		return env, err
	}
	b.tmp = tmp
	b.kubeconfig = filepath.Join(tmp, "kubeconfig")

	paths, err := kube.LocalhostPaths(b.plan)
	if err != nil {
		return env, err
	}
	mounts, err := ProfileMounts(b.plan.Profiles.Seccomp, paths)
	if err != nil {
		return env, err
	}
	exists := false
	if b.opts.ReuseCluster {
		names, err := b.provider.List()
		if err != nil {
			return env, fmt.Errorf("listing kind clusters: %w", err)
		}
		for _, n := range names {
			exists = exists || n == b.name
		}
	}
	if exists {
		b.logf("kind: reusing cluster %s", b.name)
		if err := b.checkReused(ctx, mounts); err != nil {
			return env, err
		}
	} else if err := b.create(ctx, mounts); err != nil {
		return env, err
	}

	raw, err := b.provider.KubeConfig(b.name, false)
	if err != nil {
		return env, fmt.Errorf("kubeconfig of kind cluster %s: %w", b.name, err)
	}
	rc, err := clientcmd.RESTConfigFromKubeConfig([]byte(raw))
	if err != nil {
		return env, fmt.Errorf("kubeconfig of kind cluster %s: %w", b.name, err)
	}
	rc.QPS, rc.Burst = 50, 100
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return env, err
	}
	b.mu.Lock()
	b.client = client
	b.mu.Unlock()

	ns, err := b.provider.ListInternalNodes(b.name)
	if err != nil {
		return env, fmt.Errorf("nodes of kind cluster %s: %w", b.name, err)
	}
	images, err := caseImages(b.plan)
	if err != nil {
		return env, err
	}
	images = append(images, b.opts.LoadImages...)
	loaded, err := b.loadImages(ctx, ns, images)
	if err != nil {
		return env, err
	}
	if env.AppArmor && b.plan.Profiles.AppArmor != "" {
		files, err := aaload.Host{KeepPreloaded: true}.LoadDir(ctx, b.plan.Profiles.AppArmor, func(format string, args ...any) { b.logf("kind: "+format, args...) })
		b.mu.Lock()
		b.apparmor = files
		b.mu.Unlock()
		if err != nil {
			return env, err
		}
	}

	facts, err := kube.ClusterFacts(ctx, client)
	if err != nil {
		return env, err
	}
	runID := kube.RandomID(8)
	nsName := "secprof-" + runID
	namespace, err := kube.EnsureNamespace(ctx, client, nsName, runID, false)
	b.mu.Lock()
	b.ns = namespace
	b.mu.Unlock()
	if err != nil {
		return env, err
	}
	pulls := map[string]corev1.PullPolicy{}
	for _, img := range loaded {
		pulls[img] = corev1.PullNever
	}
	b.mu.Lock()
	b.runner = kube.NewRunner(kube.Config{
		Client: client, REST: rc, Plan: b.plan, Logf: b.logf, ExitLag: b.opts.ExitLag.D(),
		Pods: kube.PodSpecOptions{Namespace: nsName, RunID: runID, PullPolicies: pulls, AppArmorAnnotations: !facts.AppArmorField()},
	})
	b.mu.Unlock()

	env.Kubernetes = facts.Kubelet
	env.Runtime = facts.Runtime()
	env.Notes = append(env.Notes, fmt.Sprintf("kind cluster %s, node image %s", b.name, b.image))
	if b.facts.Offline {
		env.Notes = append(env.Notes, "offline node image: no default CNI, kube-proxy or CoreDNS")
	}
	if b.opts.SeccompDefault {
		env.Notes = append(env.Notes, "kubelet seccompDefault: on")
	}
	if !env.AppArmor {
		env.Notes = append(env.Notes, "AppArmor is not enabled on the host (the nodes' kernel): kubelet rejects pods with AppArmor profiles")
	}
	return env, nil
}

// create creates the cluster. kind's Create cannot be cancelled: when ctx
// ends first, the half-made cluster is deleted at once (which makes Create
// fail fast) and Close deletes whatever is left once Create returned.
func (b *Backend) create(ctx context.Context, mounts []v1alpha4.Mount) error {
	if id := imageID(ctx, b.image); id != "" {
		f, err := nodeImageFacts(ctx, b.image)
		if err != nil {
			return fmt.Errorf("node image %s: %w", b.image, err)
		}
		b.facts = f
	}
	offline := b.facts.Offline
	if b.opts.Offline != nil {
		offline = *b.opts.Offline
	}
	b.facts.Offline = offline
	var extra *v1alpha4.Cluster
	if b.opts.Config != "" {
		file, err := insidePlanDir(b.plan.Dir, b.opts.Config)
		if err != nil {
			return fmt.Errorf("kind.config: %w", err)
		}
		if extra, err = ReadExtraConfig(file); err != nil {
			return err
		}
	}
	conf, err := BuildConfig(extra, ClusterSpec{
		NodeImage: b.image, Workers: b.opts.Workers, SeccompDefault: b.opts.SeccompDefault,
		Offline: offline, NodeMinor: b.facts.Minor, Mounts: mounts,
	})
	if err != nil {
		return err
	}
	if y, err := MarshalConfig(conf); err == nil {
		b.logf("kind: creating cluster %s with config:\n%s", b.name, y)
	}
	wait := b.opts.WaitForReady.D()
	if wait == 0 {
		wait = 3 * time.Minute
	}
	b.mu.Lock()
	b.networkExisted = networkExists(ctx, b.network)
	b.created = true
	done := make(chan struct{})
	b.creating = done
	b.mu.Unlock()
	var cerr error
	start := time.Now()
	go func() {
		defer close(done)
		cerr = b.provider.Create(b.name,
			cluster.CreateWithV1Alpha4Config(conf),
			// An explicit kubeconfig keeps kind away from the user's own.
			cluster.CreateWithKubeconfigPath(b.kubeconfig),
			cluster.CreateWithWaitForReady(wait),
			cluster.CreateWithDisplayUsage(false),
			cluster.CreateWithDisplaySalutation(false),
		)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		b.logf("kind: interrupted while creating cluster %s: deleting it", b.name)
		_ = b.provider.Delete(b.name, b.kubeconfig)
		return fmt.Errorf("creating kind cluster %s: %w", b.name, context.Cause(ctx))
	}
	if cerr != nil {
		return fmt.Errorf("creating kind cluster %s from %s: %w", b.name, b.image, cerr)
	}
	b.logf("kind: cluster %s created in %s", b.name, time.Since(start).Round(time.Millisecond))
	return nil
}

// checkReused makes sure a reused cluster sees this plan's profiles: the
// same directories mounted at the same places on every node.
func (b *Backend) checkReused(ctx context.Context, mounts []v1alpha4.Mount) error {
	ns, err := b.provider.ListNodes(b.name)
	if err != nil {
		return fmt.Errorf("nodes of kind cluster %s: %w", b.name, err)
	}
	for _, n := range ns {
		have, err := containerMounts(ctx, n.String())
		if err != nil {
			return err
		}
		for _, m := range mounts {
			if src := have[m.ContainerPath]; src != m.HostPath {
				if src == "" {
					src = "nothing"
				}
				return fmt.Errorf("kind cluster %s cannot be reused: node %s mounts %s at %s, the plan needs %s there; delete the cluster or run without --reuse-cluster", b.name, n.String(), src, m.ContainerPath, m.HostPath)
			}
		}
		if b.opts.SeccompDefault {
			var out strings.Builder
			if err := n.Command("cat", "/var/lib/kubelet/config.yaml").SetStdout(&out).Run(); err == nil && !strings.Contains(out.String(), "seccompDefault: true") {
				return fmt.Errorf("kind cluster %s cannot be reused with seccompDefault: the kubelet of node %s does not have it on", b.name, n.String())
			}
		}
	}
	return nil
}

// Start runs case c as a pod.
func (b *Backend) Start(ctx context.Context, c *harness.Case) (harness.Instance, error) {
	b.mu.Lock()
	r := b.runner
	b.mu.Unlock()
	if r == nil {
		return nil, errors.New("the kind backend is not prepared")
	}
	return r.Start(ctx, c, "")
}

// Close stops the remaining pods and deletes what this run made: the
// cluster (unless kept or reused), the run's namespace on a cluster that
// stays, the AppArmor profiles loaded into the host's kernel.
func (b *Backend) Close(ctx context.Context) error {
	b.mu.Lock()
	r, client, ns, created, creating, files := b.runner, b.client, b.ns, b.created, b.creating, b.apparmor
	b.mu.Unlock()
	var errs []error
	if r != nil {
		errs = append(errs, r.StopAll(ctx))
	}
	deleteCluster := created && !b.keepCluster
	if ns.Created && client != nil && !deleteCluster && !b.keep {
		errs = append(errs, kube.DeleteNamespace(ctx, client, ns.Name, time.Minute))
	}
	if !b.keep {
		errs = append(errs, aaload.Host{}.Unload(ctx, files))
	}
	if deleteCluster {
		if creating != nil {
			select {
			case <-creating:
			case <-ctx.Done():
				errs = append(errs, fmt.Errorf("kind cluster %s: still being created when the clean-up time ran out", b.name))
			}
		}
		errs = append(errs, b.deleteCluster(ctx))
	} else if created {
		b.logf("kind: kept cluster %s (kind export kubeconfig --name %s; kind delete cluster --name %s)", b.name, b.name, b.name)
	}
	if b.tmp != "" {
		os.RemoveAll(b.tmp)
	}
	return errors.Join(errs...)
}

// deleteCluster deletes the cluster and removes the docker network kind
// made for it if nothing else uses it.
func (b *Backend) deleteCluster(ctx context.Context) error {
	start := time.Now()
	if err := DeleteCluster(ctx, b.provider, b.name, b.kubeconfig, b.logf); err != nil {
		return err
	}
	b.logf("kind: cluster %s deleted in %s", b.name, time.Since(start).Round(time.Millisecond))
	if !b.networkExisted {
		if err := removeNetworkIfUnused(ctx, b.network); err != nil {
			return fmt.Errorf("removing docker network %s: %w", b.network, err)
		}
	}
	return nil
}

// DeleteCluster deletes a kind cluster and checks that none of its
// containers is left. A node whose pod cgroup was left frozen cannot die
// (runc freezes a container's cgroup while it sets device rules; a node
// killed then keeps it frozen, and docker rm -f gives up: "did not receive
// an exit event"): such cgroups are thawed first, and the nodes removed
// again a few times, with docker's own message in the log. kubeconfig is
// the file whose entry for the cluster kind removes ("" for kind's
// default, the user's own kubeconfig).
func DeleteCluster(ctx context.Context, provider *cluster.Provider, name, kubeconfig string, logf func(string, ...any)) error {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	var err error
	for attempt := 1; ; attempt++ {
		if attempt == 1 {
			// A pod container caught mid-creation may sit in a frozen
			// cgroup: thaw first rather than wait for docker to give up.
			for _, id := range clusterContainers(ctx, name) {
				if n, _ := thawContainer(ctx, id); n > 0 {
					logf("kind: node %s: thawed %d frozen cgroup(s) so that it can die", id, n)
				}
			}
		}
		err = provider.Delete(name, kubeconfig)
		left := clusterContainers(ctx, name)
		if err == nil && len(left) == 0 {
			return nil
		}
		if attempt == 5 || ctx.Err() != nil {
			if err == nil {
				err = fmt.Errorf("%d container(s) left after delete", len(left))
			}
			return fmt.Errorf("deleting kind cluster %s: %w", name, err)
		}
		logf("kind: deleting cluster %s (attempt %d): %v; removing its containers again", name, attempt, err)
		for _, id := range left {
			if n, terr := thawContainer(ctx, id); n > 0 || terr != nil {
				logf("kind: node %s: thawed %d frozen cgroup(s) so that it can die (%v)", id, n, terr)
			}
			if _, rerr := docker(ctx, "rm", "-f", "-v", id); rerr != nil {
				logf("kind: %v", rerr)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(attempt) * time.Second):
		}
	}
}

// Nodes returns the cluster's node containers (tests, explanations).
func (b *Backend) Nodes() ([]nodes.Node, error) { return b.provider.ListNodes(b.name) }

// KubeConfig returns the cluster's kubeconfig (external address).
func (b *Backend) KubeConfig() (string, error) { return b.provider.KubeConfig(b.name, false) }

// ImageID is the node's ID for image ("" when absent): exported for tests.
func ImageID(n nodes.Node, image string) string {
	id, _ := nodeutils.ImageID(n, image)
	return id
}

func insidePlanDir(dir, rel string) (string, error) {
	if filepath.IsAbs(rel) {
		return "", fmt.Errorf("%q must be relative to the plan's directory", rel)
	}
	j := filepath.Join(dir, rel)
	r, err := filepath.Rel(dir, j)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%q leaves the plan's directory", rel)
	}
	if rd, err := filepath.EvalSymlinks(dir); err == nil {
		if rj, err := filepath.EvalSymlinks(j); err == nil {
			if r, err := filepath.Rel(rd, rj); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
				return "", fmt.Errorf("%q leaves the plan's directory through a symbolic link", rel)
			}
		}
	}
	return j, nil
}

// kindLogger sends kind's progress to the harness log (-v).
type kindLogger struct{ logf func(string, ...any) }

func (l kindLogger) Warn(m string)                        { l.logf("kind: %s", m) }
func (l kindLogger) Warnf(f string, a ...any)             { l.logf("kind: "+f, a...) }
func (l kindLogger) Error(m string)                       { l.logf("kind: ERROR %s", m) }
func (l kindLogger) Errorf(f string, a ...any)            { l.logf("kind: ERROR "+f, a...) }
func (l kindLogger) V(v kindlog.Level) kindlog.InfoLogger { return infoLogger{l.logf, v <= 0} }

type infoLogger struct {
	logf func(string, ...any)
	on   bool
}

func (l infoLogger) Info(m string) {
	if l.on {
		l.logf("kind: %s", m)
	}
}

func (l infoLogger) Infof(f string, a ...any) {
	if l.on {
		l.logf("kind: "+f, a...)
	}
}

func (l infoLogger) Enabled() bool { return l.on }
