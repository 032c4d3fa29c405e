package kube

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/secprof/secprof/harness"
)

// TestRecordedPods replays the pod states recorded from real runs on kind
// (and the hand-written states of kubelets that cannot run here, labelled
// as such in their source) through the Translator and the shared
// classifier.
func TestRecordedPods(t *testing.T) {
	files, err := filepath.Glob("testdata/pods/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no recorded pods in testdata/pods")
	}
	outcomes := map[harness.Outcome]map[string]bool{}
	infra := map[string]bool{}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			rec, err := ReadRecording(f)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Source == "" || rec.Kubelet == "" {
				t.Fatalf("%s: a recording must say where it comes from and which kubelet made it", f)
			}
			obs, v, err := Replay(rec)
			var got []string
			for _, o := range obs {
				got = append(got, o.String())
			}
			t.Logf("observations:\n  %s", strings.Join(got, "\n  "))
			if rec.Expect.InfraError != "" {
				if err == nil || !strings.Contains(err.Error(), rec.Expect.InfraError) {
					t.Fatalf("want infrastructure error %q, got verdict %v, err %v", rec.Expect.InfraError, v, err)
				}
				infra[rec.Kubelet] = true
				return
			}
			if err != nil {
				t.Fatalf("unexpected infrastructure error: %v", err)
			}
			if v == nil {
				t.Fatalf("no verdict, want %s", rec.Expect.Outcome)
			}
			if v.Outcome != rec.Expect.Outcome || !strings.Contains(v.Reason, rec.Expect.ReasonContains) {
				t.Fatalf("verdict %s, want %s (reason containing %q)", v, rec.Expect.Outcome, rec.Expect.ReasonContains)
			}
			if outcomes[v.Outcome] == nil {
				outcomes[v.Outcome] = map[string]bool{}
			}
			outcomes[v.Outcome][minorKubelet(rec.Kubelet)] = true
		})
	}
	// Every outcome the kube backends can reach has a recording.
	for _, o := range []harness.Outcome{harness.Running, harness.CrashLoopBackOff, harness.CreateContainerError, harness.Blocked, harness.Completed} {
		if len(outcomes[o]) == 0 {
			t.Errorf("no recording classified as %s", o)
		}
	}
	// Blocked in both kubelet generations: rejected (Failed/AppArmor,
	// v1.31+) and soft-admitted (Pending/Blocked, up to v1.30).
	hasOld, hasNew := false, false
	for k := range outcomes[harness.Blocked] {
		m := minorOf(k)
		hasOld = hasOld || (m > 0 && m <= 30)
		hasNew = hasNew || m >= 31
	}
	if !hasOld {
		t.Errorf("no recording of the soft-admission Blocked state (kubelet up to v1.30)")
	}
	if !hasNew {
		t.Errorf("no recording of the rejection Blocked state (kubelet v1.31 and later)")
	}
}

func minorOf(v string) int {
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	if len(parts) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(parts[1])
	return n
}

func minorKubelet(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}

func pod(status corev1.PodStatus) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", UID: "u"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "workload"}}},
		Status:     status,
	}
}

func kinds(obs []harness.Observation) string {
	var s []string
	for _, o := range obs {
		x := string(o.Kind)
		if o.Reason != "" {
			x += ":" + o.Reason
		}
		s = append(s, x)
	}
	return strings.Join(s, " ")
}

func TestTranslatorOrderAndDedup(t *testing.T) {
	var tr Translator
	startErr := &corev1.ContainerStateTerminated{ExitCode: 128, Reason: "StartError", ContainerID: "containerd://a",
		Message:    "failed to create containerd task: ... cannot start a stopped process: unknown",
		FinishedAt: metav1.NewTime(time.Unix(100, 0))}
	steps := []struct {
		st   corev1.PodStatus
		want string
	}{
		{corev1.PodStatus{Phase: corev1.PodPending}, ""},
		{corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{Name: "workload",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}}, "Waiting:ContainerCreating"},
		// The same state again reports nothing.
		{corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{Name: "workload",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}}, ""},
		// A watch that missed the first termination: the termination
		// comes first, then the restart, then the waiting state.
		{corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "workload", RestartCount: 1,
			LastTerminationState: corev1.ContainerState{Terminated: startErr},
			State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 10s"}}}}},
			"Terminated:StartError Restarted Waiting:CrashLoopBackOff"},
		// The same termination as last state again is not reported twice.
		{corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "workload", RestartCount: 1,
			LastTerminationState: corev1.ContainerState{Terminated: startErr},
			State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "RunContainerError", Message: "x"}}}}},
			"Waiting:RunContainerError"},
	}
	for i, s := range steps {
		got := kinds(tr.Pod(pod(s.st)))
		if got != s.want {
			t.Errorf("step %d: got %q, want %q", i, got, s.want)
		}
	}
}

func TestTranslatorRunningOnceAndRestart(t *testing.T) {
	var tr Translator
	run := func(id string, sec int64, restarts int32) corev1.PodStatus {
		return corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "workload", ContainerID: id, RestartCount: restarts,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(time.Unix(sec, 0))}}}}}
	}
	if got := kinds(tr.Pod(pod(run("c1", 1, 0)))); got != "Running" {
		t.Fatalf("got %q", got)
	}
	if got := kinds(tr.Pod(pod(run("c1", 1, 0)))); got != "" {
		t.Fatalf("running again: got %q", got)
	}
	// A restart seen only as a new container running.
	st := run("c2", 5, 1)
	st.ContainerStatuses[0].LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 2, Reason: "Error", ContainerID: "c1", FinishedAt: metav1.NewTime(time.Unix(4, 0))}
	if got := kinds(tr.Pod(pod(st))); got != "Terminated:Error Restarted Running" {
		t.Fatalf("restart: got %q", got)
	}
}

func TestTranslatorPodLevel(t *testing.T) {
	var tr Translator
	got := tr.Pod(pod(corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{
		Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/1 nodes are available: 1 Insufficient cpu."}}}))
	if kinds(got) != "InfraError" || !strings.Contains(got[0].Message, "Insufficient cpu") {
		t.Fatalf("unschedulable: %+v", got)
	}
	tr = Translator{}
	got = tr.Pod(pod(corev1.PodStatus{Phase: corev1.PodFailed, Reason: "AppArmor", Message: "Pod was rejected: Cannot enforce AppArmor: AppArmor is not enabled on the host"}))
	if kinds(got) != "Rejected:AppArmor" {
		t.Fatalf("rejected: %+v", got)
	}
	v, err := harness.Classify(got, harness.ClassifyOptions{}, time.Now())
	if err != nil || v == nil || v.Outcome != harness.Blocked {
		t.Fatalf("rejected pod: verdict %v, err %v", v, err)
	}
	// A pod that ran and then failed with a reason is not a rejection.
	tr = Translator{}
	got = tr.Pod(pod(corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted", ContainerStatuses: []corev1.ContainerStatus{{Name: "workload",
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "Error", Signal: 9}}}}}))
	if kinds(got) != "Terminated:Error" || got[0].Signal != "SIGKILL" {
		t.Fatalf("evicted after running: %+v", got)
	}
}

func TestTranslatorInitContainers(t *testing.T) {
	var tr Translator
	p := pod(corev1.PodStatus{Phase: corev1.PodPending,
		InitContainerStatuses: []corev1.ContainerStatus{{Name: "init",
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}}}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "workload",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "PodInitializing"}}}}})
	// An init container's normal completion is no termination of the
	// workload (under restartPolicy Always it would read as a crash).
	if got := kinds(tr.Pod(p)); got != "Waiting:PodInitializing" {
		t.Fatalf("got %q", got)
	}
	p.Status.InitContainerStatuses[0].State.Terminated = &corev1.ContainerStateTerminated{ExitCode: 128, Reason: "StartError", ContainerID: "i2"}
	if got := kinds(tr.Pod(p)); got != "Terminated:StartError" {
		t.Fatalf("init start error: got %q", got)
	}
}

func TestTranslatorAllContainersRun(t *testing.T) {
	var tr Translator
	p := pod(corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{
		{Name: "a", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
		{Name: "b", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}},
	}})
	p.Spec.Containers = []corev1.Container{{Name: "a"}, {Name: "b"}}
	if got := kinds(tr.Pod(p)); got != "Waiting:ContainerCreating" {
		t.Fatalf("got %q", got)
	}
	p.Status.ContainerStatuses[1].State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	if got := kinds(tr.Pod(p)); got != "Running" {
		t.Fatalf("got %q", got)
	}
}

func TestOneLine(t *testing.T) {
	if got := oneLine("a\n  b\tc"); got != "a b c" {
		t.Errorf("got %q", got)
	}
	if got := oneLine(strings.Repeat("x", 5000)); len(got) > 2010 {
		t.Errorf("not bounded: %d", len(got))
	}
}

// FuzzTranslator feeds arbitrary pod versions (JSON) through the
// Translator and the classifier: no panic, whatever the API server sends.
func FuzzTranslator(f *testing.F) {
	files, _ := filepath.Glob("testdata/pods/*.json")
	for _, file := range files {
		if rec, err := ReadRecording(file); err == nil {
			if b, err := json.Marshal(rec); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var rec Recording
		if json.Unmarshal(b, &rec) != nil {
			return
		}
		for _, p := range rec.Pods {
			if p.Pod == nil {
				return
			}
		}
		_, _, _ = Replay(&rec)
	})
}
