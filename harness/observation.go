package harness

import (
	"fmt"
	"strings"
	"time"
)

// ObsKind is the kind of an Observation. The kinds mirror Kubernetes
// container states because those are the richest model every backend can
// be translated into: a Docker container's exit or a local child's failed
// execve is a Terminated observation like a pod container's.
type ObsKind string

const (
	// ObsCreated: the runtime accepted the container (profiles loaded).
	ObsCreated ObsKind = "Created"
	// ObsRunning: the workload's process runs (execve succeeded).
	ObsRunning ObsKind = "Running"
	// ObsWaiting: the container waits with a kubelet reason (Reason:
	// ContainerCreating, CreateContainerError, RunContainerError,
	// CrashLoopBackOff, Blocked, ErrImagePull, …) and Message.
	ObsWaiting ObsKind = "Waiting"
	// ObsTerminated: the process ended. ExitCode, Signal, OOMKilled; Reason
	// is Completed, Error, OOMKilled, StartError (the runtime could not
	// start it: exit code 128) or ContainerCannotRun (Docker's name).
	ObsTerminated ObsKind = "Terminated"
	// ObsRestarted: the restart count went up (RestartCount).
	ObsRestarted ObsKind = "Restarted"
	// ObsRejected: the pod was refused before any container was created
	// (kubelet admission). Reason "AppArmor" is the Blocked outcome; any
	// other reason is an infrastructure problem.
	ObsRejected ObsKind = "Rejected"
	// ObsInfraError: something outside the profiles failed (image pull,
	// scheduling, daemon down). Never a verdict: the case is an error.
	ObsInfraError ObsKind = "InfraError"
	// ObsNote: an event or log line shown with the result; never classified.
	ObsNote ObsKind = "Note"
)

// Terminated reasons with a meaning for the classifier.
const (
	ReasonStartError         = "StartError"
	ReasonContainerCannotRun = "ContainerCannotRun"
	ReasonOOMKilled          = "OOMKilled"
	ReasonCompleted          = "Completed"
	ReasonError              = "Error"
)

// Waiting reasons (as kubelet reports them).
const (
	ReasonContainerCreating          = "ContainerCreating"
	ReasonPodInitializing            = "PodInitializing"
	ReasonCreateContainerError       = "CreateContainerError"
	ReasonCreateContainerConfigError = "CreateContainerConfigError"
	ReasonRunContainerError          = "RunContainerError"
	ReasonCrashLoopBackOff           = "CrashLoopBackOff"
	ReasonBlocked                    = "Blocked"
	ReasonAppArmor                   = "AppArmor"
)

// infraWaitingReasons are waiting reasons that say nothing about the
// profiles: the case is an infrastructure error.
var infraWaitingReasons = map[string]bool{
	"ErrImagePull":        true,
	"ImagePullBackOff":    true,
	"InvalidImageName":    true,
	"ErrImageNeverPull":   true,
	"ImageInspectError":   true,
	"RegistryUnavailable": true,
	"PreCreateHookError":  true,
	"PreStartHookError":   true,
	"PostStartHookError":  true,
	// A missing ConfigMap/Secret, not a profile problem.
	ReasonCreateContainerConfigError: true,
}

// Observation is one thing a backend saw. Backends emit them in the order
// they happen; the shared Classifier turns them into a Verdict.
type Observation struct {
	Time      time.Time `json:"time"`
	Kind      ObsKind   `json:"kind"`
	Container string    `json:"container,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	Message   string    `json:"message,omitempty"`
	ExitCode  int       `json:"exitCode,omitempty"`
	// Signal is the signal that killed the process, e.g. "SIGSYS".
	Signal       string `json:"signal,omitempty"`
	OOMKilled    bool   `json:"oomKilled,omitempty"`
	RestartCount int    `json:"restartCount,omitempty"`
}

func (o Observation) String() string {
	var b strings.Builder
	b.WriteString(string(o.Kind))
	if o.Reason != "" {
		b.WriteString(" " + o.Reason)
	}
	if o.Kind == ObsTerminated {
		fmt.Fprintf(&b, " exit=%d", o.ExitCode)
		if o.Signal != "" {
			b.WriteString(" signal=" + o.Signal)
		}
	}
	if o.Kind == ObsRestarted {
		fmt.Fprintf(&b, " restarts=%d", o.RestartCount)
	}
	if o.Message != "" {
		b.WriteString(": " + o.Message)
	}
	return b.String()
}

// Constructors backends use, so the same facts get the same shape.

// Created is the runtime having accepted the container.
func Created() Observation { return Observation{Time: time.Now(), Kind: ObsCreated} }

// Started is the workload's process running.
func Started() Observation { return Observation{Time: time.Now(), Kind: ObsRunning} }

// Waiting is a container waiting with a kubelet reason.
func Waiting(reason, message string) Observation {
	return Observation{Time: time.Now(), Kind: ObsWaiting, Reason: reason, Message: message}
}

// Exited is the process having ended with an exit code or a signal
// (signal "" when it exited normally). By container convention a signal
// death has exit code 128+signal.
func Exited(code int, signal string, oom bool, message string) Observation {
	reason := ReasonError
	switch {
	case oom:
		reason = ReasonOOMKilled
	case code == 0 && signal == "":
		reason = ReasonCompleted
	}
	return Observation{Time: time.Now(), Kind: ObsTerminated, Reason: reason, ExitCode: code, Signal: signal, OOMKilled: oom, Message: message}
}

// StartFailed is the runtime failing to start the process (runc's
// StartError, exit code 128), e.g. because the filter denies execve.
func StartFailed(message string) Observation {
	return Observation{Time: time.Now(), Kind: ObsTerminated, Reason: ReasonStartError, ExitCode: 128, Message: message}
}

// CreateFailed is the runtime refusing to create the container.
func CreateFailed(message string) Observation {
	return Waiting(ReasonCreateContainerError, message)
}

// Rejected is the pod refused by admission (e.g. reason "AppArmor").
func Rejected(reason, message string) Observation {
	return Observation{Time: time.Now(), Kind: ObsRejected, Reason: reason, Message: message}
}

// InfraFailed is an infrastructure failure: never a verdict.
func InfraFailed(message string) Observation {
	return Observation{Time: time.Now(), Kind: ObsInfraError, Message: message}
}

// Note is a diagnostic line shown with the result.
func Note(message string) Observation {
	return Observation{Time: time.Now(), Kind: ObsNote, Message: message}
}
