package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/client-go/transport/spdy"
	utilexec "k8s.io/client-go/util/exec"

	"github.com/secprof/secprof/harness"
	"github.com/secprof/secprof/harness/probe"
)

// Exec runs argv in the workload's container through the API (kubectl
// exec): the runtime starts it under the container's seccomp and AppArmor
// profiles.
func (in *instance) Exec(ctx context.Context, argv []string) (harness.ExecResult, error) {
	if !in.running() {
		return harness.ExecResult{}, errNotRunning
	}
	out := &harness.LimitedBuffer{Max: harness.MaxExecOutput}
	code, err := in.r.exec(ctx, in.pod.Namespace, in.pod.Name, in.mainContainer(), argv, out, out)
	if err != nil {
		return harness.ExecResult{}, err
	}
	return harness.ExecResult{ExitCode: code, Output: out.String()}, nil
}

// exec runs argv in a container and returns its exit code. An error means
// the command could not be run at all.
func (r *Runner) exec(ctx context.Context, ns, pod, container string, argv []string, stdout, stderr io.Writer) (int, error) {
	req := r.cfg.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: container, Command: argv, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	// WebSocket first (Kubernetes ≥ 1.30), SPDY for older API servers.
	ws, err := remotecommand.NewWebSocketExecutor(r.cfg.REST, "GET", req.URL().String())
	if err != nil {
		return 0, err
	}
	sp, err := remotecommand.NewSPDYExecutor(r.cfg.REST, "POST", req.URL())
	if err != nil {
		return 0, err
	}
	ex, err := remotecommand.NewFallbackExecutor(ws, sp, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return 0, err
	}
	err = ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: stdout, Stderr: stderr})
	var ce utilexec.CodeExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ce):
		return ce.Code, nil
	case ctx.Err() != nil:
		return 0, fmt.Errorf("exec %s: %w", argv[0], context.Cause(ctx))
	}
	// The runtime could not start the command (not found, or denied by
	// the profile): kubectl reports this as exit code 126/127 with the
	// runtime's message; keep the message as the output.
	msg := err.Error()
	code := 126
	if strings.Contains(msg, "not found") || strings.Contains(msg, "no such file") {
		code = 127
	}
	fmt.Fprintln(stderr, msg)
	return code, nil
}

// forward is one port-forward of an instance.
type forward struct {
	addr string
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func (f *forward) close() {
	f.once.Do(func() { close(f.stop) })
	<-f.done
}

// Address forwards a local port to the pod's port (kubectl port-forward)
// and returns the local address; the forward lives until Stop.
func (in *instance) Address(ctx context.Context, port int) (string, error) {
	if !in.running() {
		return "", errNotRunning
	}
	in.mu.Lock()
	if f, ok := in.forwards[port]; ok {
		in.mu.Unlock()
		return f.addr, nil
	}
	in.mu.Unlock()
	f, err := in.r.portForward(ctx, in.pod.Namespace, in.pod.Name, port)
	if err != nil {
		return "", err
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.ctx.Err() != nil {
		go f.close()
		return "", errNotRunning
	}
	if old, ok := in.forwards[port]; ok {
		go f.close()
		return old.addr, nil
	}
	in.forwards[port] = f
	return f.addr, nil
}

func (r *Runner) portForward(ctx context.Context, ns, pod string, port int) (*forward, error) {
	u := r.cfg.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("portforward").URL()
	transport, upgrader, err := spdy.RoundTripperFor(r.cfg.REST)
	if err != nil {
		return nil, err
	}
	var dialer httpstream.Dialer = spdy.NewDialer(upgrader, &http.Client{Transport: transport}, "POST", u)
	// SPDY over WebSocket first (Kubernetes ≥ 1.31), plain SPDY otherwise.
	if ws, err := portforward.NewSPDYOverWebsocketDialer(u, r.cfg.REST); err == nil {
		dialer = portforward.NewFallbackDialer(ws, dialer, func(err error) bool {
			return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
		})
	}
	f := &forward{stop: make(chan struct{}), done: make(chan struct{})}
	ready := make(chan struct{})
	var errOut harness.LimitedBuffer
	errOut.Max = 64 << 10
	pf, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{"0:" + strconv.Itoa(port)}, f.stop, ready, io.Discard, &errOut)
	if err != nil {
		return nil, err
	}
	fwErr := make(chan error, 1)
	go func() {
		defer close(f.done)
		fwErr <- pf.ForwardPorts()
	}()
	select {
	case <-ready:
	case err := <-fwErr:
		return nil, fmt.Errorf("port-forward to %s/%s:%d: %v %s", ns, pod, port, err, strings.TrimSpace(errOut.String()))
	case <-ctx.Done():
		f.close()
		return nil, context.Cause(ctx)
	}
	ports, err := pf.GetPorts()
	if err != nil || len(ports) == 0 {
		f.close()
		return nil, fmt.Errorf("port-forward to %s/%s:%d: no local port: %v", ns, pod, port, err)
	}
	f.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(int(ports[0].Local)))
	return f, nil
}

// Probe runs the probe binary of the image in the workload's container
// (exec: under the container's profiles). When syscalls are tried, the
// probe also runs once in a pod of the same image without any profile, so
// that a call failing for other reasons (a missing capability) is not
// taken for denied.
func (in *instance) Probe(ctx context.Context, syscalls []string) (*probe.Report, error) {
	if !in.running() {
		return nil, errNotRunning
	}
	argv := probeArgv(in.r.cfg.ProbePath, syscalls)
	var out, errb harness.LimitedBuffer
	out.Max, errb.Max = harness.MaxExecOutput, 64<<10
	code, err := in.r.exec(ctx, in.pod.Namespace, in.pod.Name, in.mainContainer(), argv, &out, &errb)
	if err != nil {
		return nil, err
	}
	if code != 0 {
		return nil, fmt.Errorf("the probe %s failed in the workload's container (exit code %d): %s", in.r.cfg.ProbePath, code, oneLine(errb.String()))
	}
	rep, err := decodeReport(out.Bytes())
	if err != nil {
		return nil, err
	}
	if len(syscalls) > 0 {
		base, err := in.baselineProbe(ctx, argv)
		if err != nil {
			return nil, fmt.Errorf("baseline probe: %w", err)
		}
		probe.Compare(rep, base)
	}
	return rep, nil
}

func probeArgv(path string, syscalls []string) []string {
	return []string{path, "-syscalls", strings.Join(syscalls, ",")}
}

func decodeReport(b []byte) (*probe.Report, error) {
	var rep probe.Report
	if err := json.Unmarshal(bytes.TrimSpace(b), &rep); err != nil {
		return nil, fmt.Errorf("the probe's output is not a report: %v (%q)", err, shortenBytes(b, 200))
	}
	return &rep, nil
}

func shortenBytes(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// baselineProbe runs the probe once in a pod like the workload's, on the
// same node, without seccomp or AppArmor profile, and returns its report.
func (in *instance) baselineProbe(ctx context.Context, argv []string) (*probe.Report, error) {
	cs := in.r.cfg.Client
	p := in.spec.DeepCopy()
	p.Name = Slug(p.Name, 50) + "-baseline"
	p.ResourceVersion = ""
	p.Spec.RestartPolicy = corev1.RestartPolicyNever
	if last := in.lastPod(); last != nil && last.Spec.NodeName != "" {
		p.Spec.NodeName = last.Spec.NodeName
	}
	if p.Spec.SecurityContext == nil {
		p.Spec.SecurityContext = &corev1.PodSecurityContext{}
	}
	p.Spec.SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
	p.Spec.SecurityContext.AppArmorProfile = nil
	for k := range p.Annotations {
		if strings.HasPrefix(k, appArmorAnnotationPrefix) {
			delete(p.Annotations, k)
		}
	}
	p.Spec.InitContainers = nil
	ct := p.Spec.Containers[0]
	ct.Command, ct.Args = argv, nil
	ct.Ports = nil
	if ct.SecurityContext != nil {
		ct.SecurityContext.SeccompProfile = nil
		ct.SecurityContext.AppArmorProfile = nil
	}
	p.Spec.Containers = []corev1.Container{ct}
	created, err := in.r.createPod(ctx, p)
	if err != nil {
		return nil, err
	}
	defer deletePod(context.WithoutCancel(ctx), cs, created.Namespace, created.Name)

	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	sel := fields.OneTermEqualSelector("metadata.name", created.Name).String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = sel
			return cs.CoreV1().Pods(created.Namespace).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = sel
			return cs.CoreV1().Pods(created.Namespace).Watch(ctx, o)
		},
	}
	var phase corev1.PodPhase
	_, err = watchtools.UntilWithSync(wctx, lw, &corev1.Pod{}, nil, func(ev watch.Event) (bool, error) {
		p, ok := ev.Object.(*corev1.Pod)
		if !ok {
			return false, nil
		}
		phase = p.Status.Phase
		for _, cs := range p.Status.ContainerStatuses {
			if w := cs.State.Waiting; w != nil && w.Reason != harness.ReasonContainerCreating && w.Reason != harness.ReasonPodInitializing {
				return false, fmt.Errorf("%s: %s", w.Reason, oneLine(w.Message))
			}
		}
		return phase == corev1.PodSucceeded || phase == corev1.PodFailed, nil
	})
	if err != nil {
		return nil, fmt.Errorf("pod %s: %v", created.Name, err)
	}
	b, err := cs.CoreV1().Pods(created.Namespace).GetLogs(created.Name, &corev1.PodLogOptions{LimitBytes: ptr(int64(harness.MaxExecOutput))}).DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	if phase != corev1.PodSucceeded {
		return nil, fmt.Errorf("pod %s failed: %s", created.Name, shortenBytes(b, 300))
	}
	return decodeReport(b)
}
