package harness

import (
	"fmt"
	"strings"
	"time"
)

// Verdict is what a workload ended up as: the outcome and the reason, as
// kubelet and the runtime would state it.
type Verdict struct {
	Outcome Outcome `json:"outcome"`
	Reason  string  `json:"reason,omitempty"`
	// ExitCode is the last exit code seen, if any.
	ExitCode *int `json:"exitCode,omitempty"`
	// At is when the deciding observation happened.
	At time.Time `json:"-"`
}

func (v Verdict) String() string {
	if v.Reason == "" {
		return string(v.Outcome)
	}
	return string(v.Outcome) + " (" + v.Reason + ")"
}

// InfraError is an infrastructure failure seen while classifying (image
// pull, scheduling, daemon): reported as an error, never as a verdict.
type InfraError struct {
	Msg string
}

func (e *InfraError) Error() string { return e.Msg }

// ClassifyOptions are the facts about a case the classifier needs.
type ClassifyOptions struct {
	// RestartPolicy is Always (default), OnFailure or Never.
	RestartPolicy string
	// StableFor is how long the workload must run without a termination
	// to be Running.
	StableFor time.Duration
}

// Classifier is the one classifier shared by every backend: it turns the
// observation stream of one case into a verdict as soon as the state is
// reached — the first StartError is enough to call CrashLoopBackOff, a
// process that ran StableFor without exiting is Running — never after
// fixed sleeps. It is not safe for concurrent use.
type Classifier struct {
	opts      ClassifyOptions
	running   bool
	startedAt time.Time
	state     string // the last non-final state, for timeout messages
	lastExit  *int
	done      *Verdict
}

// NewClassifier returns a classifier for one case.
func NewClassifier(opts ClassifyOptions) *Classifier {
	if opts.RestartPolicy == "" {
		opts.RestartPolicy = "Always"
	}
	return &Classifier{opts: opts, state: "not started"}
}

// State describes where the workload is when no verdict came yet, e.g.
// "Waiting: ContainerCreating".
func (c *Classifier) State() string { return c.state }

// Observe feeds one observation. It returns the verdict once one is
// reached (and the same verdict on later calls), or an *InfraError.
func (c *Classifier) Observe(o Observation) (*Verdict, error) {
	if c.done != nil {
		return c.done, nil
	}
	if o.Time.IsZero() {
		o.Time = time.Now()
	}
	switch o.Kind {
	case ObsInfraError:
		return nil, &InfraError{Msg: o.Message}
	case ObsRejected:
		if o.Reason == ReasonAppArmor || strings.Contains(o.Message, "AppArmor") {
			return c.decide(Blocked, joinReason(o.Reason, o.Message), o.Time), nil
		}
		return nil, &InfraError{Msg: "pod rejected: " + joinReason(o.Reason, o.Message)}
	case ObsWaiting:
		switch {
		case o.Reason == ReasonBlocked:
			return c.decide(Blocked, joinReason(o.Reason, o.Message), o.Time), nil
		case o.Reason == ReasonCreateContainerError:
			return c.decide(CreateContainerError, joinReason(o.Reason, o.Message), o.Time), nil
		case o.Reason == ReasonCrashLoopBackOff:
			return c.decide(CrashLoopBackOff, joinReason(o.Reason, o.Message), o.Time), nil
		case o.Reason == ReasonRunContainerError:
			return c.crashed(joinReason(o.Reason, o.Message), o.Time), nil
		case infraWaitingReasons[o.Reason]:
			return nil, &InfraError{Msg: joinReason(o.Reason, o.Message)}
		}
		c.running = false
		c.state = "Waiting"
		if o.Reason != "" {
			c.state += ": " + o.Reason
		}
	case ObsRunning:
		if !c.running {
			c.running, c.startedAt = true, o.Time
		}
		c.state = "Running since " + o.Time.Format("15:04:05.000")
	case ObsTerminated:
		code := o.ExitCode
		c.lastExit = &code
		c.running = false
		reason := describeTermination(o)
		if o.Reason == ReasonStartError || o.Reason == ReasonContainerCannotRun {
			return c.crashed(reason, o.Time), nil
		}
		failed := o.ExitCode != 0 || o.Signal != "" || o.OOMKilled
		switch c.opts.RestartPolicy {
		case "Never":
			if failed {
				return c.decide(Failed, reason, o.Time), nil
			}
			return c.decide(Completed, reason, o.Time), nil
		case "OnFailure":
			if failed {
				return c.decide(CrashLoopBackOff, reason, o.Time), nil
			}
			return c.decide(Completed, reason, o.Time), nil
		default:
			// Under restartPolicy Always even a clean exit is restarted
			// and ends in back-off.
			return c.decide(CrashLoopBackOff, reason, o.Time), nil
		}
	case ObsRestarted:
		if o.RestartCount > 0 && c.opts.RestartPolicy != "Never" {
			return c.decide(CrashLoopBackOff, fmt.Sprintf("restarted %d times", o.RestartCount), o.Time), nil
		}
	}
	return nil, nil
}

// crashed is a failed start: CrashLoopBackOff unless the pod never restarts.
func (c *Classifier) crashed(reason string, at time.Time) *Verdict {
	if c.opts.RestartPolicy == "Never" {
		return c.decide(Failed, reason, at)
	}
	return c.decide(CrashLoopBackOff, reason, at)
}

// Tick reports Running once the workload has run StableFor without a
// termination. Call it when the stable-for timer fires.
func (c *Classifier) Tick(now time.Time) *Verdict {
	if c.done != nil {
		return c.done
	}
	if c.running && now.Sub(c.startedAt) >= c.opts.StableFor {
		return c.decide(Running, fmt.Sprintf("running for %s", c.opts.StableFor.Round(time.Millisecond)), now)
	}
	return nil
}

// StableAt is when a running workload becomes Running (zero if it does
// not run).
func (c *Classifier) StableAt() time.Time {
	if !c.running || c.done != nil {
		return time.Time{}
	}
	return c.startedAt.Add(c.opts.StableFor)
}

func (c *Classifier) decide(o Outcome, reason string, at time.Time) *Verdict {
	v := &Verdict{Outcome: o, Reason: reason, ExitCode: c.lastExit, At: at}
	c.done = v
	return v
}

// Classify runs a whole recorded stream through a classifier; now is the
// time the stream was cut (for the Running rule). It is what the
// classifier tests and the kube backends' recorded statuses use.
func Classify(obs []Observation, opts ClassifyOptions, now time.Time) (*Verdict, error) {
	c := NewClassifier(opts)
	for _, o := range obs {
		v, err := c.Observe(o)
		if err != nil || v != nil {
			return v, err
		}
	}
	return c.Tick(now), nil
}

func describeTermination(o Observation) string {
	var b strings.Builder
	r := o.Reason
	if r == "" {
		r = ReasonError
	}
	b.WriteString(r)
	if o.Signal != "" {
		fmt.Fprintf(&b, " (killed by %s, exit code %d)", o.Signal, o.ExitCode)
	} else {
		fmt.Fprintf(&b, " (exit code %d)", o.ExitCode)
	}
	if o.Message != "" {
		b.WriteString(": " + o.Message)
	}
	return b.String()
}

func joinReason(reason, msg string) string {
	switch {
	case reason == "":
		return msg
	case msg == "":
		return reason
	}
	return reason + ": " + msg
}
