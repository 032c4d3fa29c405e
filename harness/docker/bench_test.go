package docker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/secprof/secprof/harness"
)

// BenchmarkDockerCases measures cases per second with 4 in parallel on the
// docker backend and, as the baseline in the same run, on the local
// backend with the same plan: each case runs the probe to completion
// under the seed's fine-grained profile (as harness/local's
// BenchmarkLocalCases does). On docker a case is: create the container
// with the profile as a security option, start it (runc installs the
// filter), watch its events until it exits, classify, remove it.
func BenchmarkDockerCases(b *testing.B) {
	requireImages(b)
	cli := rawClient(b)
	dir := b.TempDir()
	prb := filepath.Join(dir, "probe")
	if _, err := harness.GoBuild(context.Background(), filepath.Join(repo, "fixtures/workloads/probe"), prb); err != nil {
		b.Fatal(err)
	}
	const cases, parallel = 16, 4
	var list string
	for i := 0; i < cases; i++ {
		list += fmt.Sprintf("  - {name: c%d, workload: {image: secprof/probe:dev, command: [/probe, -write, /tmp/out%d], local: [%s, -write, out%d], restartPolicy: Never}, seccomp: profiles/fine-grained.json, expect: {outcome: Completed}}\n", i, i, prb, i)
	}
	// scenarioDir's plan with the fixture profiles; the backend is chosen
	// per sub-benchmark.
	p := scenarioDir(b, list, nil)
	pl, err := harness.LoadPlan(p, harness.PlanSource{})
	if err != nil {
		b.Fatal(err)
	}
	for _, backend := range []string{"docker", "local"} {
		b.Run(backend, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				res, err := harness.Run(context.Background(), pl, harness.Options{Backend: backend})
				if err != nil || !res.OK() {
					for _, c := range res.Cases {
						if c.Status != harness.Passed {
							b.Log(describe(c))
						}
					}
					b.Fatalf("%s: %v", backend, err)
				}
			}
			b.ReportMetric(float64(cases*b.N)/b.Elapsed().Seconds(), "cases/s")
		})
	}
	// The bare engine, as the floor: the same containers created,
	// started, waited for and removed through the Docker API with no
	// harness (no testcontainers-go, events, classifier or checks).
	opt, early := seccompOpt(pl.Cases[0].SeccompRef)
	if early != nil {
		b.Fatal(early)
	}
	b.Run("engine-baseline", func(b *testing.B) {
		ctx := context.Background()
		for i := 0; i < b.N; i++ {
			var wg sync.WaitGroup
			sem := make(chan struct{}, parallel)
			for c := 0; c < cases; c++ {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					cr, err := cli.ContainerCreate(ctx, &container.Config{Image: "secprof/probe:dev", Entrypoint: []string{"/probe", "-write", "/tmp/out"}, Labels: map[string]string{LabelPID: strconv.Itoa(os.Getpid())}},
						&container.HostConfig{SecurityOpt: []string{opt, "no-new-privileges"}}, nil, nil, "")
					if err != nil {
						b.Error(err)
						return
					}
					defer cli.ContainerRemove(ctx, cr.ID, container.RemoveOptions{Force: true})
					waitc, errc := cli.ContainerWait(ctx, cr.ID, container.WaitConditionNextExit)
					if err := cli.ContainerStart(ctx, cr.ID, container.StartOptions{}); err != nil {
						b.Error(err)
						return
					}
					select {
					case w := <-waitc:
						if w.StatusCode != 0 {
							b.Errorf("exit %d", w.StatusCode)
						}
					case err := <-errc:
						b.Error(err)
					}
				}()
			}
			wg.Wait()
		}
		b.ReportMetric(float64(cases*b.N)/b.Elapsed().Seconds(), "cases/s")
	})
	assertClean(b, cli)
}
