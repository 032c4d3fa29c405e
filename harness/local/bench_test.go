package local

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/secprof/secprof/harness"
)

// BenchmarkLocalCases measures cases per second with 4 in parallel: each
// case runs the probe to completion under the seed's fine-grained profile
// (compile the profile, start the sandbox helper, install the filter,
// execve, classify). The baseline, in the same run, starts the same
// binary the same number of times with os/exec and no harness at all.
func BenchmarkLocalCases(b *testing.B) {
	_, prb := fixtures(b)
	const cases, parallel = 16, 4
	dir := planDir(b, map[string][]byte{})
	plan := "profiles: {seccomp: seccomp}\nparallel: 4\ncases:\n"
	for i := 0; i < cases; i++ {
		plan += fmt.Sprintf("  - {name: c%d, workload: {local: [%s, -write, out%d], restartPolicy: Never}, seccomp: profiles/fine-grained.json, expect: {outcome: Completed}}\n", i, prb, i)
	}
	p := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(p, []byte(plan), 0o644); err != nil {
		b.Fatal(err)
	}
	pl, err := harness.LoadPlan(p, harness.PlanSource{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("harness", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			res, err := harness.Run(context.Background(), pl, harness.Options{Parallel: parallel})
			if err != nil || !res.OK() {
				b.Fatalf("%v %+v", err, res)
			}
		}
		b.ReportMetric(float64(cases*b.N)/b.Elapsed().Seconds(), "cases/s")
	})
	b.Run("baseline-exec", func(b *testing.B) {
		work := b.TempDir()
		for i := 0; i < b.N; i++ {
			var wg sync.WaitGroup
			sem := make(chan struct{}, parallel)
			for c := 0; c < cases; c++ {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					cmd := exec.Command(prb, "-write", fmt.Sprintf("out%d", c))
					cmd.Dir = work
					if err := cmd.Run(); err != nil {
						b.Error(err)
					}
				}()
			}
			wg.Wait()
		}
		b.ReportMetric(float64(cases*b.N)/b.Elapsed().Seconds(), "cases/s")
	})
}
