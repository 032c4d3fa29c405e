package kube

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/secprof/secprof/harness"
)

// Recording is the sequence of versions of one pod a watch delivered, with
// when each arrived: the classifier's unit tests replay recordings of real
// runs (testdata/pods) through the Translator and the shared Classifier.
type Recording struct {
	// Source says where the recording comes from: a real run (which
	// cluster, node image, runtime) or, for states that cannot be produced
	// here, the Kubernetes source it was written from.
	Source string `json:"source"`
	// Kubelet is the kubelet version that produced the states.
	Kubelet string `json:"kubelet"`
	Case    string `json:"case"`
	// RestartPolicy and StableFor are the classifier options of the case;
	// ExitLag is the runner's hold of Running observations.
	RestartPolicy string `json:"restartPolicy"`
	StableForMs   int64  `json:"stableForMs"`
	ExitLagMs     int64  `json:"exitLagMs"`
	// Expect is what the replay must classify the pod as.
	Expect RecordedExpect `json:"expect"`
	// EndMs is when the recording stopped (the case's pod was stopped),
	// after the first version.
	EndMs int64         `json:"endMs"`
	Pods  []RecordedPod `json:"pods"`
}

// RecordedExpect is the expected classification of a recording.
type RecordedExpect struct {
	Outcome        harness.Outcome `json:"outcome,omitempty"`
	ReasonContains string          `json:"reasonContains,omitempty"`
	// InfraError, when set, must be contained in the infrastructure error
	// the classifier returns instead of a verdict.
	InfraError string `json:"infraError,omitempty"`
}

// RecordedPod is one version of the pod.
type RecordedPod struct {
	AtMs int64       `json:"atMs"`
	Pod  *corev1.Pod `json:"pod"`
}

// Recorder collects recordings of every pod watched (kube.Config.Record).
type Recorder struct {
	mu    sync.Mutex
	start map[string]time.Time
	recs  map[string]*Recording
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder {
	return &Recorder{start: map[string]time.Time{}, recs: map[string]*Recording{}}
}

// Record is a kube.Config.Record function.
func (r *Recorder) Record(caseName string, p *corev1.Pod) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	rec := r.recs[caseName]
	if rec == nil {
		rec = &Recording{Case: caseName}
		r.recs[caseName] = rec
		r.start[caseName] = now
	}
	rec.Pods = append(rec.Pods, RecordedPod{AtMs: now.Sub(r.start[caseName]).Milliseconds(), Pod: Trim(p)})
}

// Finish marks the end of the case's recording (the case was stopped).
func (r *Recorder) Finish(caseName string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rec := r.recs[caseName]; rec != nil {
		rec.EndMs = time.Since(r.start[caseName]).Milliseconds()
	}
}

// Recordings returns the recordings by case name.
func (r *Recorder) Recordings() map[string]*Recording {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]*Recording{}
	for k, v := range r.recs {
		cp := *v
		cp.Pods = append([]RecordedPod(nil), v.Pods...)
		out[k] = &cp
	}
	return out
}

// Trim keeps what classification needs of a pod and drops the noise
// (managed fields, tokens, volumes).
func Trim(p *corev1.Pod) *corev1.Pod {
	out := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{
			Name: p.Name, Namespace: p.Namespace, UID: p.UID, Labels: p.Labels, Annotations: p.Annotations,
			CreationTimestamp: p.CreationTimestamp,
		},
		Status: *p.Status.DeepCopy(),
	}
	out.Spec.NodeName = p.Spec.NodeName
	out.Spec.RestartPolicy = p.Spec.RestartPolicy
	if p.Spec.SecurityContext != nil {
		out.Spec.SecurityContext = p.Spec.SecurityContext.DeepCopy()
	}
	for _, c := range p.Spec.Containers {
		out.Spec.Containers = append(out.Spec.Containers, corev1.Container{
			Name: c.Name, Image: c.Image, Command: c.Command, Args: c.Args, SecurityContext: c.SecurityContext.DeepCopy(),
		})
	}
	return out
}

// WriteRecording writes rec as indented JSON to file.
func WriteRecording(file string, rec *Recording) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}

// ReadRecording reads a recording.
func ReadRecording(file string) (*Recording, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var rec Recording
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	sort.SliceStable(rec.Pods, func(i, j int) bool { return rec.Pods[i].AtMs < rec.Pods[j].AtMs })
	return &rec, nil
}

// Replay runs a recording through a Translator and the shared classifier
// and returns the observations and the verdict (or infrastructure error).
func Replay(rec *Recording) ([]harness.Observation, *harness.Verdict, error) {
	base := time.Unix(1_700_000_000, 0)
	var at time.Time
	tr := Translator{Now: func() time.Time { return at }}
	h := holder{lag: time.Duration(rec.ExitLagMs) * time.Millisecond}
	var obs []harness.Observation
	// A held Running falls due between versions as the timer would fire.
	catchUp := func(now time.Time) {
		if d := h.deadline(); !d.IsZero() && !now.Before(d) {
			obs = append(obs, h.due(d)...)
		}
	}
	for _, rp := range rec.Pods {
		at = base.Add(time.Duration(rp.AtMs) * time.Millisecond)
		catchUp(at)
		for _, o := range tr.Pod(rp.Pod) {
			obs = append(obs, h.push(o)...)
		}
	}
	catchUp(base.Add(time.Duration(rec.EndMs) * time.Millisecond))
	// Feed the classifier as the runner does: its stableFor timer fires
	// between observations.
	cl := harness.NewClassifier(harness.ClassifyOptions{RestartPolicy: rec.RestartPolicy, StableFor: time.Duration(rec.StableForMs) * time.Millisecond})
	for _, o := range obs {
		if at := cl.StableAt(); !at.IsZero() && !o.Time.Before(at) {
			if v := cl.Tick(at); v != nil {
				return obs, v, nil
			}
		}
		v, err := cl.Observe(o)
		if v != nil || err != nil {
			return obs, v, err
		}
	}
	return obs, cl.Tick(base.Add(time.Duration(rec.EndMs) * time.Millisecond)), nil
}
