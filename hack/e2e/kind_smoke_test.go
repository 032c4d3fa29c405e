// Package e2e holds the smoke test of the offline kind test environment that
// hack/e2e-env.sh builds: it proves that a real kind cluster starts from the
// locally built node image, that locally built images load into it, and that
// Localhost seccomp profiles mounted through extraMounts take effect.
package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	watchtools "k8s.io/client-go/tools/watch"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
	kindlog "sigs.k8s.io/kind/pkg/log"
)

// Environment variables written by hack/e2e-env.sh (.e2e/env).
const (
	envNodeImage = "SECPROF_KIND_NODE_IMAGE"
	envEchoImage = "SECPROF_HTTP_ECHO_IMAGE"
)

// profilesMount is where kind's node sees the profiles directory; a Localhost
// profile "profiles/x.json" is resolved under the kubelet's seccomp root.
const profilesMount = "/var/lib/kubelet/seccomp/profiles"

func TestKindSmoke(t *testing.T) {
	nodeImage := os.Getenv(envNodeImage)
	if nodeImage == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: in CI the offline kind environment must be built (make e2e-env) and .e2e/env sourced before the tests", envNodeImage)
		}
		t.Skipf("%s is not set: run `make e2e-env` (as root) and `. .e2e/env` to run the kind smoke test", envNodeImage)
	}
	echoImage := os.Getenv(envEchoImage)
	if echoImage == "" {
		echoImage = "secprof/http-echo:dev"
	}

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	profiles := t.TempDir()
	writeFile(t, filepath.Join(profiles, "allow-all.json"), `{"defaultAction": "SCMP_ACT_ALLOW"}`)
	writeFile(t, filepath.Join(profiles, "deny-all.json"), `{"defaultAction": "SCMP_ACT_ERRNO"}`)

	name := fmt.Sprintf("secprof-smoke-%d", time.Now().UnixNano()%1_000_000_000)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	provider := cluster.NewProvider(cluster.ProviderWithDocker(), cluster.ProviderWithLogger(testLogger{t}))
	cycle := time.Now()
	var created, loaded, verdicts time.Duration

	// Registered before Create, so a half-created cluster goes too.
	t.Cleanup(func() {
		start := time.Now()
		if err := provider.Delete(name, kubeconfig); err != nil {
			t.Errorf("delete cluster %s: %v", name, err)
		}
		deleted := time.Since(start)
		if left, err := provider.ListNodes(name); err != nil || len(left) > 0 {
			t.Errorf("after delete: nodes %v, err %v", left, err)
		}
		t.Logf("kind cycle: create %.1fs, load image %.1fs, pods to verdicts %.1fs, delete %.1fs, total %.1fs",
			created.Seconds(), loaded.Seconds(), verdicts.Seconds(), deleted.Seconds(), time.Since(cycle).Seconds())
	})

	// ^C or SIGTERM would end the test binary without running cleanups:
	// delete the cluster first.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	t.Cleanup(func() { signal.Stop(sigs); close(done) })
	go func() {
		select {
		case s := <-sigs:
			fmt.Fprintf(os.Stderr, "%v: deleting kind cluster %s\n", s, name)
			_ = provider.Delete(name, kubeconfig)
			os.Exit(130)
		case <-done:
		}
	}()

	start := time.Now()
	err := provider.Create(name,
		cluster.CreateWithV1Alpha4Config(clusterConfig(nodeImage, profiles)),
		cluster.CreateWithKubeconfigPath(kubeconfig),
		cluster.CreateWithWaitForReady(3*time.Minute),
		cluster.CreateWithDisplayUsage(false),
		cluster.CreateWithDisplaySalutation(false),
	)
	if err != nil {
		t.Fatalf("create kind cluster from %s: %v", nodeImage, err)
	}
	created = time.Since(start)

	start = time.Now()
	if err := loadImage(ctx, provider, name, echoImage); err != nil {
		t.Fatal(err)
	}
	loaded = time.Since(start)

	cs := clientFor(t, provider, name)
	waitForServiceAccount(ctx, t, cs, "default")

	start = time.Now()
	pods := cs.CoreV1().Pods("default")
	for _, p := range []*corev1.Pod{
		echoPod("allow-all", echoImage, "profiles/allow-all.json"),
		echoPod("deny-all", echoImage, "profiles/deny-all.json"),
	} {
		if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create pod %s: %v", p.Name, err)
		}
	}
	waitPod(ctx, t, cs, "allow-all", "Running", isRunning)
	waitPod(ctx, t, cs, "deny-all", "CrashLoopBackOff after StartError", isStartErrorLoop)
	verdicts = time.Since(start)
}

// clusterConfig is the seed tutorial's kind.yaml plus what an offline node
// needs: no default CNI and no kube-proxy or CoreDNS (their images cannot be
// pulled; the node image ships a bridge CNI configuration instead).
func clusterConfig(nodeImage, profiles string) *v1alpha4.Cluster {
	return &v1alpha4.Cluster{
		TypeMeta: v1alpha4.TypeMeta{Kind: "Cluster", APIVersion: "kind.x-k8s.io/v1alpha4"},
		Nodes: []v1alpha4.Node{{
			Role:  v1alpha4.ControlPlaneRole,
			Image: nodeImage,
			ExtraMounts: []v1alpha4.Mount{{
				HostPath:      profiles,
				ContainerPath: profilesMount,
				Readonly:      true,
			}},
		}},
		Networking: v1alpha4.Networking{
			DisableDefaultCNI: true,
			KubeProxyMode:     v1alpha4.ProxyMode("none"),
		},
		// This list replaces kind's own, so preflight (kind's) stays in it.
		KubeadmConfigPatches: []string{`kind: InitConfiguration
skipPhases:
  - preflight
  - addon/kube-proxy
  - addon/coredns
`},
	}
}

// loadImage is `kind load docker-image`: docker save, piped into every node's
// containerd.
func loadImage(ctx context.Context, provider *cluster.Provider, name, image string) error {
	nodes, err := provider.ListInternalNodes(name)
	if err != nil {
		return fmt.Errorf("list nodes of %s: %w", name, err)
	}
	for _, n := range nodes {
		cmd := exec.CommandContext(ctx, "docker", "save", image)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("docker save %s: %w", image, err)
		}
		loadErr := nodeutils.LoadImageArchive(n, out)
		// Drain so docker save never blocks on a full pipe after a failed load.
		_, _ = io.Copy(io.Discard, out)
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("docker save %s: %v: %s", image, err, stderr.String())
		}
		if loadErr != nil {
			return fmt.Errorf("load %s into node %s: %w", image, n.String(), loadErr)
		}
	}
	return nil
}

func clientFor(t *testing.T, provider *cluster.Provider, name string) kubernetes.Interface {
	t.Helper()
	raw, err := provider.KubeConfig(name, false)
	if err != nil {
		t.Fatalf("kubeconfig of %s: %v", name, err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig([]byte(raw))
	if err != nil {
		t.Fatalf("kubeconfig of %s: %v", name, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// waitForServiceAccount: pods are rejected until the controller manager has
// created the namespace's default service account, shortly after start-up.
func waitForServiceAccount(ctx context.Context, t *testing.T, cs kubernetes.Interface, name string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ServiceAccounts("default").Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		t.Fatalf("service account default/%s: %v", name, err)
	}
}

func echoPod(name, image, profile string) *corev1.Pod {
	no := false
	grace := int64(0)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app.kubernetes.io/part-of": "secprof-smoke"}},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken:  &no,
			TerminationGracePeriodSeconds: &grace,
			SecurityContext: &corev1.PodSecurityContext{
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: &profile},
			},
			Containers: []corev1.Container{{
				Name:            "echo",
				Image:           image,
				ImagePullPolicy: corev1.PullNever,
				Args:            []string{"-text=just made some syscalls!"},
				SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &no},
			}},
		},
	}
}

// verdict returns done=true when the pod reached the wanted state, and an
// error when it reached a state from which it never will.
type verdict func(*corev1.Pod) (done bool, err error)

func containerStatus(p *corev1.Pod) *corev1.ContainerStatus {
	if len(p.Status.ContainerStatuses) == 0 {
		return nil
	}
	return &p.Status.ContainerStatuses[0]
}

func isRunning(p *corev1.Pod) (bool, error) {
	s := containerStatus(p)
	switch {
	case s == nil:
		return false, nil
	case s.State.Running != nil && s.RestartCount == 0:
		return true, nil
	case s.RestartCount > 0 || s.State.Terminated != nil:
		return false, fmt.Errorf("container failed under an allow-all profile: %s", describeStatus(s))
	case s.State.Waiting != nil && isInfraError(s.State.Waiting.Reason):
		return false, fmt.Errorf("container cannot start: %s", describeStatus(s))
	}
	return false, nil
}

func isStartErrorLoop(p *corev1.Pod) (bool, error) {
	s := containerStatus(p)
	switch {
	case s == nil:
		return false, nil
	case s.State.Running != nil && s.LastTerminationState.Terminated == nil:
		// A deny-all profile must stop the container's very first execve.
		return false, fmt.Errorf("container is running under a deny-all profile: %s", describeStatus(s))
	case s.State.Waiting != nil && isInfraError(s.State.Waiting.Reason):
		return false, fmt.Errorf("container cannot be created: %s", describeStatus(s))
	case s.State.Waiting != nil && s.State.Waiting.Reason == "CrashLoopBackOff":
		last := s.LastTerminationState.Terminated
		if last != nil && last.Reason == "StartError" {
			return true, nil
		}
		return false, fmt.Errorf("CrashLoopBackOff, but not from a StartError: %s", describeStatus(s))
	}
	return false, nil
}

// isInfraError: waiting reasons that mean the environment is broken, not
// that a profile did its job.
func isInfraError(reason string) bool {
	switch reason {
	case "ErrImageNeverPull", "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError":
		return true
	}
	return false
}

func describeStatus(s *corev1.ContainerStatus) string {
	var b strings.Builder
	fmt.Fprintf(&b, "restarts=%d", s.RestartCount)
	if w := s.State.Waiting; w != nil {
		fmt.Fprintf(&b, " waiting=%s (%s)", w.Reason, w.Message)
	}
	if r := s.State.Running; r != nil {
		b.WriteString(" running")
	}
	if x := s.State.Terminated; x != nil {
		fmt.Fprintf(&b, " terminated=%s exit=%d (%s)", x.Reason, x.ExitCode, x.Message)
	}
	if x := s.LastTerminationState.Terminated; x != nil {
		fmt.Fprintf(&b, " last=%s exit=%d (%s)", x.Reason, x.ExitCode, x.Message)
	}
	return b.String()
}

// waitPod watches the pod until the verdict says done, showing the pod's
// events when it does not get there.
func waitPod(ctx context.Context, t *testing.T, cs kubernetes.Interface, name, want string, v verdict) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	start := time.Now()
	lw := cache.NewListWatchFromClient(cs.CoreV1().RESTClient(), "pods", "default", fields.OneTermEqualSelector("metadata.name", name))
	var last *corev1.Pod
	_, err := watchtools.UntilWithSync(wctx, lw, &corev1.Pod{}, nil, func(ev watch.Event) (bool, error) {
		p, ok := ev.Object.(*corev1.Pod)
		if !ok {
			return false, nil
		}
		last = p
		return v(p)
	})
	if err != nil {
		state := "no status"
		if last != nil {
			if s := containerStatus(last); s != nil {
				state = describeStatus(s)
			}
		}
		t.Errorf("pod %s: want %s: %v; last state: %s", name, want, err, state)
		logEvents(t, cs, name)
		t.FailNow()
	}
	t.Logf("pod %s: %s after %.1fs (%s)", name, want, time.Since(start).Seconds(), describeStatus(containerStatus(last)))
}

func logEvents(t *testing.T, cs kubernetes.Interface, pod string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	evs, err := cs.CoreV1().Events("default").List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("involvedObject.name", pod).String(),
	})
	if err != nil {
		t.Logf("events of %s: %v", pod, err)
		return
	}
	for _, e := range evs.Items {
		t.Logf("event %s: %s %s: %s", pod, e.Type, e.Reason, e.Message)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// testLogger sends kind's progress to the test log.
type testLogger struct{ t *testing.T }

func (l testLogger) Warn(m string)                        { l.t.Log("kind: WARN " + m) }
func (l testLogger) Warnf(f string, a ...interface{})     { l.t.Logf("kind: WARN "+f, a...) }
func (l testLogger) Error(m string)                       { l.t.Log("kind: ERROR " + m) }
func (l testLogger) Errorf(f string, a ...interface{})    { l.t.Logf("kind: ERROR "+f, a...) }
func (l testLogger) V(v kindlog.Level) kindlog.InfoLogger { return infoLogger{l.t, v <= 0} }

type infoLogger struct {
	t  *testing.T
	on bool
}

func (l infoLogger) Info(m string) {
	if l.on {
		l.t.Log("kind: " + m)
	}
}

func (l infoLogger) Infof(f string, a ...interface{}) {
	if l.on {
		l.t.Logf("kind: "+f, a...)
	}
}

func (l infoLogger) Enabled() bool { return l.on }
