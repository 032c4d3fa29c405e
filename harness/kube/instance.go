package kube

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"

	"github.com/secprof/secprof/harness"
)

// maxEvents bounds the events kept per pod.
const maxEvents = 50

// instance is one case's pod.
type instance struct {
	r    *Runner
	c    *harness.Case
	spec *corev1.Pod
	pod  *corev1.Pod // as created (name, UID)
	tr   Translator

	raw      chan harness.Observation // from the watchers to pace
	obs      chan harness.Observation
	paced    chan struct{}   // closed when pace returned
	ctx      context.Context // cancelled by Stop
	cancel   context.CancelFunc
	watchers sync.WaitGroup

	mu        sync.Mutex
	last      *corev1.Pod
	events    []string
	eventSeen map[string]int32
	forwards  map[int]*forward

	stopOnce sync.Once
	stopErr  error
}

func newInstance(r *Runner, c *harness.Case, spec *corev1.Pod) *instance {
	ctx, cancel := context.WithCancel(context.Background())
	return &instance{r: r, c: c, spec: spec, raw: make(chan harness.Observation, 64), obs: make(chan harness.Observation, 64),
		paced: make(chan struct{}), ctx: ctx, cancel: cancel, forwards: map[int]*forward{}, eventSeen: map[string]int32{}}
}

func (in *instance) Observations() <-chan harness.Observation { return in.obs }

// send passes an observation on to pace, unless the instance is stopping.
func (in *instance) send(o harness.Observation) {
	select {
	case in.raw <- o:
	case <-in.ctx.Done():
	}
}

// pace delivers the observations through a holder (see hold.go).
func (in *instance) pace() {
	defer close(in.paced)
	defer close(in.obs)
	h := holder{lag: in.r.cfg.ExitLag}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	deliver := func(os []harness.Observation) bool {
		for _, o := range os {
			select {
			case in.obs <- o:
			case <-in.ctx.Done():
				return false
			}
		}
		if at := h.deadline(); !at.IsZero() {
			timer.Reset(time.Until(at))
		} else {
			timer.Stop()
		}
		return true
	}
	for {
		select {
		case o, ok := <-in.raw:
			if !ok || !deliver(h.push(o)) {
				return
			}
		case now := <-timer.C:
			if !deliver(h.due(now)) {
				return
			}
		case <-in.ctx.Done():
			return
		}
	}
}

// startWatching watches the pod and its events until Stop. The pod's
// states become observations; its events become notes (and are shown
// with a failure).
func (in *instance) startWatching() {
	in.watchers.Add(2)
	go func() {
		defer in.watchers.Done()
		in.watchPod()
	}()
	go func() {
		defer in.watchers.Done()
		in.watchEvents()
	}()
	go func() {
		in.watchers.Wait()
		close(in.raw)
	}()
	go in.pace()
}

func (in *instance) watchPod() {
	cs := in.r.cfg.Client
	ns, name := in.pod.Namespace, in.pod.Name
	sel := fields.OneTermEqualSelector("metadata.name", name).String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = sel
			return cs.CoreV1().Pods(ns).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = sel
			return cs.CoreV1().Pods(ns).Watch(ctx, o)
		},
	}
	_, err := watchtools.UntilWithSync(in.ctx, lw, &corev1.Pod{}, nil, func(ev watch.Event) (bool, error) {
		switch ev.Type {
		case watch.Deleted:
			in.send(harness.InfraFailed(fmt.Sprintf("pod %s/%s was deleted by someone else", ns, name)))
			return true, nil
		case watch.Added, watch.Modified:
		default:
			return false, nil
		}
		p, ok := ev.Object.(*corev1.Pod)
		if !ok || p.UID != in.pod.UID {
			return false, nil
		}
		in.mu.Lock()
		in.last = p
		in.mu.Unlock()
		if rec := in.r.cfg.Recorder; rec != nil {
			rec.Record(in.c.Name, p)
		}
		for _, o := range in.tr.Pod(p) {
			in.send(o)
		}
		return false, nil
	})
	if err != nil && in.ctx.Err() == nil {
		in.send(harness.InfraFailed(fmt.Sprintf("watching pod %s/%s: %v", ns, name, err)))
	}
}

// watchEvents turns the pod's events into notes as they come.
func (in *instance) watchEvents() {
	cs := in.r.cfg.Client
	ns := in.pod.Namespace
	sel := fields.Set{"involvedObject.kind": "Pod", "involvedObject.name": in.pod.Name}.AsSelector().String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = sel
			return cs.CoreV1().Events(ns).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = sel
			return cs.CoreV1().Events(ns).Watch(ctx, o)
		},
	}
	// Errors here only cost diagnostics: the pod watch decides.
	_, _ = watchtools.UntilWithSync(in.ctx, lw, &corev1.Event{}, nil, func(ev watch.Event) (bool, error) {
		e, ok := ev.Object.(*corev1.Event)
		if !ok || (ev.Type != watch.Added && ev.Type != watch.Modified) || e.InvolvedObject.UID != in.pod.UID {
			return false, nil
		}
		line := FormatEvent(e)
		in.mu.Lock()
		prev, seen := in.eventSeen[string(e.UID)]
		if seen && prev == e.Count {
			in.mu.Unlock()
			return false, nil
		}
		in.eventSeen[string(e.UID)] = e.Count
		in.events = append(in.events, line)
		if len(in.events) > maxEvents {
			in.events = in.events[len(in.events)-maxEvents:]
		}
		in.mu.Unlock()
		in.send(harness.Note("event: " + line))
		return false, nil
	})
}

// FormatEvent is the one-line form of an event: "Warning Failed (x3):
// Error: failed to create containerd task: …".
func FormatEvent(e *corev1.Event) string {
	s := e.Type + " " + e.Reason
	if e.Count > 1 {
		s += fmt.Sprintf(" (x%d)", e.Count)
	}
	return s + ": " + oneLine(e.Message)
}

// Stop deletes the pod and everything of the case (port-forwards,
// watches). Idempotent.
func (in *instance) Stop(ctx context.Context) error {
	in.stopOnce.Do(func() {
		in.mu.Lock()
		fws := in.forwards
		in.forwards = map[int]*forward{}
		in.mu.Unlock()
		for _, f := range fws {
			f.close()
		}
		in.cancel()
		in.watchers.Wait()
		<-in.paced
		if rec := in.r.cfg.Recorder; rec != nil {
			rec.Finish(in.c.Name)
		}
		in.stopErr = deletePod(ctx, in.r.cfg.Client, in.pod.Namespace, in.pod.Name)
		in.r.forget(in)
	})
	return in.stopErr
}

// Pod is the pod as created (name, namespace, UID).
func (in *instance) Pod() *corev1.Pod { return in.pod }

// lastPod is the latest version of the pod seen.
func (in *instance) lastPod() *corev1.Pod {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.last
}

// mainContainer is the container exec and probe checks run in: the
// workload's, or a manifest's first.
func (in *instance) mainContainer() string {
	return in.spec.Spec.Containers[0].Name
}

// Logs returns the pod's events followed by up to n of the container's
// last log lines (of the previous run when the container crashed).
func (in *instance) Logs(ctx context.Context, n int) []string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	in.mu.Lock()
	out := make([]string, 0, len(in.events)+n)
	for _, e := range lastN(in.events, 10) {
		out = append(out, "event: "+e)
	}
	in.mu.Unlock()
	out = append(out, in.containerLogs(ctx, n)...)
	return out
}

func (in *instance) containerLogs(ctx context.Context, n int) []string {
	if n <= 0 {
		return nil
	}
	tail := int64(n)
	read := func(previous bool) []string {
		req := in.r.cfg.Client.CoreV1().Pods(in.pod.Namespace).GetLogs(in.pod.Name, &corev1.PodLogOptions{
			Container: in.mainContainer(), TailLines: &tail, Previous: previous, LimitBytes: ptr(int64(256 << 10)),
		})
		b, err := req.DoRaw(ctx)
		if err != nil {
			return nil
		}
		s := strings.TrimRight(string(b), "\n")
		if s == "" {
			return nil
		}
		return lastN(strings.Split(s, "\n"), n)
	}
	if lines := read(false); len(lines) > 0 {
		return lines
	}
	return read(true)
}

func lastN(s []string, n int) []string {
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return append([]string(nil), s...)
}

// running reports whether the main container runs now.
func (in *instance) running() bool {
	p := in.lastPod()
	if p == nil {
		return false
	}
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == in.mainContainer() {
			return cs.State.Running != nil
		}
	}
	return false
}
