package kube

import (
	"fmt"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"

	"github.com/secprof/secprof/harness"
)

// Translator turns the successive versions of one pod, as a watch delivers
// them, into harness observations. It reads container states, not the pod
// phase: a deny-all pod stays in phase Running while its container loops
// through StartError, RunContainerError and CrashLoopBackOff. Only what
// changed since the previous version is reported, in the order kubelet went
// through it (a termination before the restart it caused). It never decides
// a verdict: that is the shared harness.Classifier's job.
//
// A Translator is not safe for concurrent use.
type Translator struct {
	// Now stamps the observations; time.Now when nil. Replays of recorded
	// pods set it to the recorded times.
	Now func() time.Time

	ctrs          map[string]*ctrState
	rejected      bool
	unschedulable bool
	allRunning    bool
	runKey        string
	terminated    bool
}

// ctrState is what was already reported about one container.
type ctrState struct {
	waiting  string // reason and message of the last Waiting reported
	restarts int32
	ended    map[string]bool // terminations reported, by terminationKey
}

func (t *Translator) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *Translator) ctr(name string) *ctrState {
	if t.ctrs == nil {
		t.ctrs = map[string]*ctrState{}
	}
	c := t.ctrs[name]
	if c == nil {
		c = &ctrState{ended: map[string]bool{}}
		t.ctrs[name] = c
	}
	return c
}

// Pod returns the observations the new version p of the pod adds.
func (t *Translator) Pod(p *corev1.Pod) []harness.Observation {
	var out []harness.Observation
	emit := func(o harness.Observation) {
		o.Time = t.now()
		out = append(out, o)
	}

	// Not scheduled: no kubelet will ever report on it.
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable && !t.unschedulable {
			t.unschedulable = true
			emit(harness.InfraFailed("pod cannot be scheduled: " + oneLine(c.Message)))
		}
	}

	// Init containers: only their failures say something about the
	// profiles; their normal completion is part of starting the pod.
	for _, cs := range p.Status.InitContainerStatuses {
		st := t.ctr("init:" + cs.Name)
		for _, term := range []*corev1.ContainerStateTerminated{cs.LastTerminationState.Terminated, cs.State.Terminated} {
			if term == nil || (term.ExitCode == 0 && term.Reason != harness.ReasonStartError) {
				continue
			}
			if k := terminationKey(term); !st.ended[k] {
				st.ended[k] = true
				t.terminated = true
				o := terminatedObs(term)
				o.Container = cs.Name
				emit(o)
			}
		}
		if w := cs.State.Waiting; w != nil && w.Reason != harness.ReasonPodInitializing && w.Reason != harness.ReasonContainerCreating {
			if k := w.Reason + "\x00" + w.Message; k != st.waiting {
				st.waiting = k
				o := harness.Waiting(w.Reason, oneLine(w.Message))
				o.Container = cs.Name
				emit(o)
			}
		}
	}

	running, total := 0, 0
	var runKeys []string
	for _, cs := range p.Status.ContainerStatuses {
		total++
		st := t.ctr(cs.Name)
		// The termination that caused a restart comes first, then the
		// restart, then the state the container is in now.
		if term := cs.LastTerminationState.Terminated; term != nil {
			if k := terminationKey(term); !st.ended[k] {
				st.ended[k] = true
				t.terminated = true
				o := terminatedObs(term)
				o.Container = cs.Name
				emit(o)
			}
		}
		if cs.RestartCount > st.restarts {
			st.restarts = cs.RestartCount
			o := harness.Observation{Kind: harness.ObsRestarted, RestartCount: int(cs.RestartCount), Container: cs.Name}
			emit(o)
		}
		switch {
		case cs.State.Terminated != nil:
			st.waiting = ""
			if k := terminationKey(cs.State.Terminated); !st.ended[k] {
				st.ended[k] = true
				t.terminated = true
				o := terminatedObs(cs.State.Terminated)
				o.Container = cs.Name
				emit(o)
			}
		case cs.State.Waiting != nil:
			w := cs.State.Waiting
			reason, msg := w.Reason, oneLine(w.Message)
			// Kubelets before v1.30 keep an AppArmor-blocked pod Pending
			// with the container waiting as "Blocked"; the explanation
			// is in the pod's own message.
			if reason == harness.ReasonBlocked && msg == "" {
				msg = oneLine(p.Status.Message)
			}
			if k := reason + "\x00" + msg; k != st.waiting {
				st.waiting = k
				o := harness.Waiting(reason, msg)
				o.Container = cs.Name
				emit(o)
			}
		case cs.State.Running != nil:
			st.waiting = ""
			running++
			runKeys = append(runKeys, cs.ContainerID+"@"+cs.State.Running.StartedAt.UTC().Format(time.RFC3339))
		}
	}

	// kubelet's admission refused the pod: it fails before any container
	// is created (Kubernetes ≥ 1.30 rejects AppArmor pods on hosts
	// without AppArmor this way: phase Failed, reason AppArmor).
	if p.Status.Phase == corev1.PodFailed && p.Status.Reason != "" && !t.terminated && !t.rejected {
		t.rejected = true
		emit(harness.Rejected(p.Status.Reason, oneLine(p.Status.Message)))
	}

	// The workload runs when every container of the pod runs. A new set
	// of container runs (a restart between two watch events) is a new
	// start.
	all := total > 0 && running == total && len(p.Spec.Containers) <= total
	key := strings.Join(runKeys, ",")
	switch {
	case all && (!t.allRunning || key != t.runKey):
		t.allRunning, t.runKey = true, key
		emit(harness.Observation{Kind: harness.ObsRunning})
	case !all:
		t.allRunning = false
	}
	return out
}

// terminationKey identifies one termination of a container.
func terminationKey(t *corev1.ContainerStateTerminated) string {
	return fmt.Sprintf("%s|%s|%s|%d|%s", t.ContainerID, t.StartedAt.UTC().Format(time.RFC3339), t.FinishedAt.UTC().Format(time.RFC3339), t.ExitCode, t.Reason)
}

// terminatedObs is kubelet's terminated state as an observation. Its
// reasons are kept: StartError (exit code 128: runc could not start the
// process, e.g. because the filter denies execve), Error, Completed,
// OOMKilled, ContainerCannotRun.
func terminatedObs(t *corev1.ContainerStateTerminated) harness.Observation {
	o := harness.Observation{Kind: harness.ObsTerminated, Reason: t.Reason, ExitCode: int(t.ExitCode), Message: oneLine(t.Message)}
	if t.Signal != 0 {
		o.Signal = unix.SignalName(syscall.Signal(t.Signal))
		if o.Signal == "" {
			o.Signal = fmt.Sprintf("signal %d", t.Signal)
		}
	}
	if t.Reason == harness.ReasonOOMKilled {
		o.OOMKilled = true
	}
	if o.Reason == "" {
		if t.ExitCode == 0 {
			o.Reason = harness.ReasonCompleted
		} else {
			o.Reason = harness.ReasonError
		}
	}
	return o
}

// oneLine keeps a message on one line and bounded: runtime errors can be
// long and multi-line.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const max = 2000
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
