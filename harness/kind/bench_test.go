package kind_test

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kind/pkg/cluster"

	"github.com/secprof/secprof/harness"
	"github.com/secprof/secprof/harness/kind"
	"github.com/secprof/secprof/harness/kube"
)

// timedLog keeps every log line with the time it was written: the
// runner logs "<case>: verdict …" the moment it decides.
type timedLog struct {
	mu    sync.Mutex
	lines []timedLine
}

type timedLine struct {
	at   time.Time
	text string
}

func (l *timedLog) Write(b []byte) (int, error) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		l.lines = append(l.lines, timedLine{now, s})
	}
	return len(b), nil
}

func (l *timedLog) find(prefix string) (time.Time, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.lines {
		if strings.HasPrefix(x.text, prefix) {
			return x.at, x.text
		}
	}
	return time.Time{}, ""
}

var createdRE = regexp.MustCompile(`kind: cluster \S+ created in (\S+)`)

// BenchmarkKindScenario runs the repository's plan (the seed scenario) on
// one kind cluster, made in the first iteration and reused after, and
// reports:
//   - create-s: how long kind took to create the cluster;
//   - scenario-s: all the plan's cases, from the first start to the last
//     end, beside slowest-case-s, its slowest case (the baseline: with
//     cases in parallel the plan should take little more than its slowest
//     case); run-s is the whole run with cluster, images and clean-up;
//   - decide-ms: from the moment the watch delivered the deciding pod
//     state to the verdict (crash, creation error, rejection, completion);
//   - kubelet-to-verdict-s: from the kubelet's own timestamp of that
//     state (a container's start or finish; one second resolution, so an
//     upper bound) to the verdict;
//   - running-after-report-s: from kubelet's first Running report to the
//     Running verdict (stableFor plus the exit-report hold, by design).
func BenchmarkKindScenario(b *testing.B) {
	img := needKind(b)
	name := "secprof-bench-" + kube.RandomID(4)
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		p := cluster.NewProvider(cluster.ProviderWithDocker())
		if err := kind.DeleteCluster(ctx, p, name, filepath.Join(b.TempDir(), "kubeconfig"), b.Logf); err != nil {
			b.Errorf("deleting %s: %v", name, err)
		}
	})
	for i := 0; i < b.N; i++ {
		plan := repoPlan(b)
		rec := kube.NewRecorder()
		kube.TestRecorder.Store(rec)
		log := &timedLog{}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		res, err := harness.Run(ctx, plan, harness.Options{
			Backend: "kind",
			Overrides: map[string]map[string]string{"kind": {
				"nodeImage": img, "clusterName": name, "reuseCluster": "true",
			}},
			Log: log,
		})
		cancel()
		kube.TestRecorder.Store(nil)
		if err != nil {
			b.Fatal(err)
		}
		if !res.OK() {
			var s strings.Builder
			_ = harness.WriteText(&s, res, true)
			b.Fatalf("the scenario failed on kind:\n%s", s.String())
		}
		if _, line := log.find("kind: cluster " + name + " created in"); line != "" {
			if m := createdRE.FindStringSubmatch(line); m != nil {
				if d, err := time.ParseDuration(m[1]); err == nil {
					b.ReportMetric(d.Seconds(), "create-s")
				}
			}
		}
		report(b, res, log, rec)
	}
}

func report(b *testing.B, res *harness.Result, log *timedLog, rec *kube.Recorder) {
	var slowest time.Duration
	var first, last time.Time
	var decide, kubelet, running []float64
	var rows []string
	recs := rec.Recordings()
	for _, c := range res.Cases {
		if c.Duration > slowest {
			slowest = c.Duration
		}
		if first.IsZero() || c.Start.Before(first) {
			first = c.Start
		}
		if end := c.Start.Add(c.Duration); end.After(last) {
			last = end
		}
		at, _ := log.find(c.Name + ": verdict ")
		if at.IsZero() || c.Verdict == nil {
			continue
		}
		row := fmt.Sprintf("%-58s %-22s case %5.1fs", c.Name, c.Verdict.Outcome, c.Duration.Seconds())
		if c.Verdict.Outcome == harness.Running {
			for _, o := range c.Observations {
				if o.Kind == harness.ObsRunning {
					// The held observation's message names kubelet's report.
					d := at.Sub(o.Time) + kube.DefaultExitLag
					running = append(running, d.Seconds())
					row += fmt.Sprintf("  running→verdict %.2fs", d.Seconds())
					break
				}
			}
		} else {
			// The deciding observation is the last one before the verdict.
			var last *harness.Observation
			for i := range c.Observations {
				o := &c.Observations[i]
				if o.Kind != harness.ObsNote && !o.Time.After(c.Verdict.At) {
					last = o
				}
			}
			if last != nil {
				d := at.Sub(last.Time)
				decide = append(decide, float64(d.Microseconds())/1000)
				row += fmt.Sprintf("  watch→verdict %.2fms", float64(d.Microseconds())/1000)
			}
		}
		if r := recs[c.Name]; r != nil {
			if ts := kubeletStamp(r); !ts.IsZero() {
				d := at.Sub(ts)
				kubelet = append(kubelet, d.Seconds())
				row += fmt.Sprintf("  kubelet→verdict ≤%.2fs", d.Seconds())
			}
		}
		rows = append(rows, row)
	}
	sort.Strings(rows)
	cases := last.Sub(first)
	b.Logf("kind scenario: %d cases in %.1fs (whole run with cluster and images %.1fs), slowest case %.1fs\n%s",
		len(res.Cases), cases.Seconds(), res.Duration.Seconds(), slowest.Seconds(), strings.Join(rows, "\n"))
	b.ReportMetric(res.Duration.Seconds(), "run-s")
	b.ReportMetric(cases.Seconds(), "scenario-s")
	b.ReportMetric(slowest.Seconds(), "slowest-case-s")
	b.ReportMetric(mean(decide), "decide-ms")
	b.ReportMetric(mean(kubelet), "kubelet-to-verdict-s")
	b.ReportMetric(mean(running), "running-after-report-s")
}

// kubeletStamp is kubelet's timestamp of the state that decided a
// non-Running case: the finish of the container's first run (StartError,
// Completed, Error). Zero when the state carries none (creation errors,
// rejections).
func kubeletStamp(r *kube.Recording) time.Time {
	for _, rp := range r.Pods {
		for _, cs := range rp.Pod.Status.ContainerStatuses {
			for _, t := range []*corev1.ContainerStateTerminated{cs.LastTerminationState.Terminated, cs.State.Terminated} {
				if t != nil && !t.FinishedAt.IsZero() {
					return t.FinishedAt.Time
				}
			}
		}
	}
	return time.Time{}
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
