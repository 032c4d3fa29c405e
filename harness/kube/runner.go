// Package kube is the pod runner the Kubernetes backends (kind, cluster)
// share: it turns a harness case into a pod, watches the pod and
// translates its container states into harness observations, and runs
// exec, HTTP (through a port-forward) and probe checks through the API.
// It never decides verdicts: the shared harness.Classifier does.
package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/secprof/secprof/harness"
)

// Config is what a backend gives the runner.
type Config struct {
	Client kubernetes.Interface
	REST   *rest.Config
	Plan   *harness.Plan
	Pods   PodSpecOptions
	// ProbePath is the probe binary inside workload images ("/probe").
	ProbePath string
	// Logf prints progress; never nil after NewRunner.
	Logf func(format string, args ...any)
	// ExitLag is how long a Running observation is held back (see pace):
	// the time kubelet may take to report a container's exit. Zero means
	// DefaultExitLag; negative means no hold.
	ExitLag time.Duration
	// Recorder, when set, records every version of every pod watched: the
	// classifier's testdata are recorded this way.
	Recorder *Recorder
}

func init() {
	// client-go logs through klog to stderr, e.g. "watch ended with
	// error … context canceled" when a case's watch is stopped: noise in
	// secprof's output. Failures that matter reach the runner as errors.
	klog.SetLogger(logr.Discard())
}

// DefaultExitLag covers kubelet's relist period (1 s) plus the pod
// update on a busy node; measured on two loaded cores, a container that
// exited at once was still reported running more than 2 s later.
const DefaultExitLag = 3 * time.Second

// TestRecorder, when set (by tests that record the classifier's
// testdata from real runs), records the pods of every runner made after.
var TestRecorder atomic.Pointer[Recorder]

// Runner starts cases as pods. It is safe for concurrent use.
type Runner struct {
	cfg Config

	mu    sync.Mutex
	insts map[*instance]bool
}

// NewRunner returns a runner.
func NewRunner(cfg Config) *Runner {
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	switch {
	case cfg.ExitLag == 0:
		cfg.ExitLag = DefaultExitLag
	case cfg.ExitLag < 0:
		cfg.ExitLag = 0
	}
	if cfg.Recorder == nil {
		cfg.Recorder = TestRecorder.Load()
	}
	if cfg.ProbePath == "" {
		cfg.ProbePath = DefaultProbePath(cfg.Plan)
	}
	return &Runner{cfg: cfg, insts: map[*instance]bool{}}
}

// DefaultProbePath is where the probe binary is in workload images: the
// plan's probe image's binary, else /probe (the fixture images' layout).
func DefaultProbePath(plan *harness.Plan) string {
	if plan != nil && plan.Probe != "" {
		if img, ok := plan.Images[plan.Probe]; ok && img.Binary != "" {
			return img.Binary
		}
	}
	return "/probe"
}

// Start creates the pod of case c (pinned to node unless node is "", and
// then tolerating the node's taints, as a DaemonSet's pods do) and starts
// watching it.
func (r *Runner) Start(ctx context.Context, c *harness.Case, node string) (harness.Instance, error) {
	pod, err := BuildPod(r.cfg.Plan, c, node, r.cfg.Pods)
	if err != nil {
		return nil, err
	}
	in := newInstance(r, c, pod)
	created, err := r.createPod(ctx, pod)
	if err != nil {
		return nil, err
	}
	in.pod = created
	r.mu.Lock()
	r.insts[in] = true
	r.mu.Unlock()
	in.startWatching()
	return in, nil
}

// createPod creates p, retrying while the namespace's default service
// account does not exist yet (the first seconds of a namespace).
func (r *Runner) createPod(ctx context.Context, p *corev1.Pod) (*corev1.Pod, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		created, err := r.cfg.Client.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{})
		if err == nil {
			return created, nil
		}
		if !strings.Contains(err.Error(), "serviceaccount") && !strings.Contains(err.Error(), "service account") || time.Now().After(deadline) {
			return nil, fmt.Errorf("creating pod %s: %w", p.Name, err)
		}
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// StopAll stops every instance still running (Close of a backend).
func (r *Runner) StopAll(ctx context.Context) error {
	r.mu.Lock()
	insts := make([]*instance, 0, len(r.insts))
	for in := range r.insts {
		insts = append(insts, in)
	}
	r.mu.Unlock()
	var errs []error
	for _, in := range insts {
		errs = append(errs, in.Stop(ctx))
	}
	return errors.Join(errs...)
}

func (r *Runner) forget(in *instance) {
	r.mu.Lock()
	delete(r.insts, in)
	r.mu.Unlock()
}

// deletePod deletes a pod at once (grace period 0) and ignores a pod that
// is already gone.
func deletePod(ctx context.Context, cs kubernetes.Interface, ns, name string) error {
	zero := int64(0)
	err := cs.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting pod %s/%s: %w", ns, name, err)
	}
	return nil
}
