package kube

import (
	"fmt"
	"time"

	"github.com/secprof/secprof/harness"
)

// holder holds each Running observation back for lag: kubelet notices a
// container's exit only at its next relist (every second) and then
// updates the pod, so its report that a container runs may be seconds
// old. Passed on after lag and stamped with that time, a Running
// observation starts the classifier's stableFor only once an exit in the
// workload's first moments would have been reported. Any other
// observation that comes meanwhile sends the held one on first, with its
// own time; notes pass straight through.
type holder struct {
	lag     time.Duration
	pending *harness.Observation
}

// push takes the next observation and returns what to deliver now.
func (h *holder) push(o harness.Observation) []harness.Observation {
	if o.Kind == harness.ObsNote {
		return []harness.Observation{o}
	}
	var out []harness.Observation
	if h.pending != nil {
		out = append(out, *h.pending)
		h.pending = nil
	}
	if o.Kind == harness.ObsRunning && h.lag > 0 {
		h.pending = &o
		return out
	}
	return append(out, o)
}

// deadline is when the held observation is due (zero when none is held).
func (h *holder) deadline() time.Time {
	if h.pending == nil {
		return time.Time{}
	}
	return h.pending.Time.Add(h.lag)
}

// due returns the held observation once its time has come.
func (h *holder) due(now time.Time) []harness.Observation {
	if h.pending == nil || now.Before(h.deadline()) {
		return nil
	}
	p := *h.pending
	h.pending = nil
	p.Message = fmt.Sprintf("kubelet reported it running at %s; passed on after the %s kubelet may take to report an exit", p.Time.Format("15:04:05.000"), h.lag)
	p.Time = p.Time.Add(h.lag)
	return []harness.Observation{p}
}
