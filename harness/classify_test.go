package harness

import (
	"strings"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(d time.Duration, o Observation) Observation { o.Time = t0.Add(d); return o }
	tests := []struct {
		name   string
		policy string
		obs    []Observation
		now    time.Duration // when the stream was cut
		want   Outcome       // "" means no verdict yet
		reason string        // substring of the reason
		infra  string        // substring of an infrastructure error
	}{
		{name: "stable run is Running", obs: []Observation{at(0, Created()), at(10*time.Millisecond, Started())},
			now: 3 * time.Second, want: Running, reason: "running for 2s"},
		{name: "not stable yet", obs: []Observation{at(0, Started())}, now: time.Second},
		{name: "deny-all: StartError exit 128 is CrashLoopBackOff at once (kubelet lastState)",
			obs: []Observation{at(0, Waiting(ReasonContainerCreating, "")),
				at(time.Second, Observation{Kind: ObsTerminated, Reason: ReasonStartError, ExitCode: 128,
					Message: `failed to start containerd task "x": cannot start a stopped process: unknown`})},
			want: CrashLoopBackOff, reason: "cannot start a stopped process"},
		{name: "RunContainerError in between", obs: []Observation{at(0, Waiting(ReasonRunContainerError, "context deadline exceeded"))},
			want: CrashLoopBackOff, reason: "RunContainerError"},
		{name: "waiting CrashLoopBackOff", obs: []Observation{at(0, Waiting(ReasonCrashLoopBackOff, "back-off 10s restarting failed container"))},
			want: CrashLoopBackOff, reason: "back-off"},
		{name: "docker ContainerCannotRun", obs: []Observation{at(0, Observation{Kind: ObsTerminated, Reason: ReasonContainerCannotRun, ExitCode: 128, Message: "OCI runtime start failed"})},
			want: CrashLoopBackOff, reason: "ContainerCannotRun"},
		{name: "local: execve denied", obs: []Observation{at(0, Created()), at(time.Millisecond, StartFailed("exec /bin/x: operation not permitted"))},
			want: CrashLoopBackOff, reason: "StartError (exit code 128): exec /bin/x: operation not permitted"},
		{name: "exit non-zero under Always", obs: []Observation{at(0, Started()), at(time.Second, Exited(2, "", false, ""))},
			want: CrashLoopBackOff, reason: "Error (exit code 2)"},
		{name: "clean exit under Always still crash-loops", obs: []Observation{at(0, Started()), at(time.Second, Exited(0, "", false, ""))},
			want: CrashLoopBackOff, reason: "Completed (exit code 0)"},
		{name: "killed by SIGSYS", obs: []Observation{at(0, Started()), at(time.Second, Exited(159, "SIGSYS", false, ""))},
			want: CrashLoopBackOff, reason: "killed by SIGSYS"},
		{name: "OOM", obs: []Observation{at(0, Started()), at(time.Second, Exited(137, "SIGKILL", true, ""))},
			want: CrashLoopBackOff, reason: "OOMKilled"},
		{name: "restart counted without termination record", obs: []Observation{at(0, Started()), at(time.Second, Observation{Kind: ObsRestarted, RestartCount: 1})},
			want: CrashLoopBackOff, reason: "restarted 1 times"},
		{name: "Never: exit 0 is Completed", policy: "Never", obs: []Observation{at(0, Started()), at(time.Second, Exited(0, "", false, ""))},
			want: Completed},
		{name: "Never: exit 1 is Failed", policy: "Never", obs: []Observation{at(0, Started()), at(time.Second, Exited(1, "", false, ""))},
			want: Failed, reason: "exit code 1"},
		{name: "Never: start error is Failed", policy: "Never", obs: []Observation{at(0, StartFailed("denied"))},
			want: Failed, reason: "StartError"},
		{name: "OnFailure: exit 0 is Completed", policy: "OnFailure", obs: []Observation{at(0, Started()), at(time.Second, Exited(0, "", false, ""))},
			want: Completed},
		{name: "OnFailure: exit 3 crash-loops", policy: "OnFailure", obs: []Observation{at(0, Started()), at(time.Second, Exited(3, "", false, ""))},
			want: CrashLoopBackOff},
		{name: "missing Localhost profile (containerd)", obs: []Observation{at(0, Waiting(ReasonContainerCreating, "")),
			at(time.Second, CreateFailed(`failed to generate seccomp spec opts: cannot load seccomp profile "/var/lib/kubelet/seccomp/profiles/nope.json": open /var/lib/kubelet/seccomp/profiles/nope.json: no such file or directory`))},
			want: CreateContainerError, reason: "cannot load seccomp profile"},
		{name: "AppArmor profile not loaded (>=1.24)", obs: []Observation{at(0, CreateFailed("apparmor profile not found k8s-apparmor-example-allow-write"))},
			want: CreateContainerError, reason: "apparmor profile not found"},
		{name: "AppArmor not enabled, kubelet 1.34 rejects the pod", obs: []Observation{at(0, Rejected(ReasonAppArmor, "Pod was rejected: Cannot enforce AppArmor: AppArmor is not enabled on the host"))},
			want: Blocked, reason: "AppArmor is not enabled on the host"},
		{name: "older kubelet: waiting Blocked", obs: []Observation{at(0, Waiting(ReasonBlocked, `Cannot enforce AppArmor: profile "k8s-apparmor-example-allow-write" is not loaded`))},
			want: Blocked, reason: "is not loaded"},
		{name: "image pull is infrastructure", obs: []Observation{at(0, Waiting("ErrImagePull", "pull access denied"))}, infra: "ErrImagePull"},
		{name: "image pull back-off is infrastructure", obs: []Observation{at(0, Waiting("ImagePullBackOff", "Back-off pulling image"))}, infra: "ImagePullBackOff"},
		{name: "missing configmap is infrastructure", obs: []Observation{at(0, Waiting(ReasonCreateContainerConfigError, `configmap "x" not found`))}, infra: "configmap"},
		{name: "unschedulable is infrastructure", obs: []Observation{at(0, InfraFailed("0/1 nodes are available: 1 Insufficient cpu"))}, infra: "Insufficient cpu"},
		{name: "other admission rejection is infrastructure", obs: []Observation{at(0, Rejected("OutOfcpu", "Node didn't have enough resource"))}, infra: "OutOfcpu"},
		{name: "notes never decide", obs: []Observation{at(0, Note("pulled image")), at(0, Started())}, now: time.Second},
		{name: "a crash after running resets stability", obs: []Observation{at(0, Started()), at(time.Second, Exited(1, "", false, "")), at(2*time.Second, Started())},
			now: 10 * time.Second, want: CrashLoopBackOff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Classify(tt.obs, ClassifyOptions{RestartPolicy: tt.policy, StableFor: 2 * time.Second}, t0.Add(tt.now))
			if tt.infra != "" {
				if err == nil || !strings.Contains(err.Error(), tt.infra) {
					t.Fatalf("want infrastructure error containing %q, got %v, %v", tt.infra, v, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tt.want == "" {
				if v != nil {
					t.Fatalf("want no verdict yet, got %v", v)
				}
				return
			}
			if v == nil || v.Outcome != tt.want {
				t.Fatalf("want %s, got %v", tt.want, v)
			}
			if !strings.Contains(v.Reason, tt.reason) {
				t.Fatalf("reason %q does not contain %q", v.Reason, tt.reason)
			}
		})
	}
}

func TestClassifierStableAt(t *testing.T) {
	c := NewClassifier(ClassifyOptions{StableFor: time.Second})
	if !c.StableAt().IsZero() {
		t.Fatal("StableAt before start")
	}
	t0 := time.Now()
	c.Observe(Observation{Kind: ObsRunning, Time: t0})
	if got := c.StableAt(); !got.Equal(t0.Add(time.Second)) {
		t.Fatalf("StableAt = %v", got)
	}
	if v := c.Tick(t0.Add(500 * time.Millisecond)); v != nil {
		t.Fatalf("Running too early: %v", v)
	}
	if v := c.Tick(t0.Add(time.Second)); v == nil || v.Outcome != Running {
		t.Fatalf("want Running, got %v", v)
	}
	// The verdict is final.
	v, _ := c.Observe(Exited(1, "", false, ""))
	if v.Outcome != Running {
		t.Fatalf("verdict changed to %v", v)
	}
}
