package harness

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParsePlan: no input may panic or hang the plan parser, and a plan
// it accepts must be usable (named cases with valid outcomes).
func FuzzParsePlan(f *testing.F) {
	seeds := []string{
		"backend: fake\ncases:\n  - name: a\n    workload: {command: [x]}\n    expect: {outcome: Running}\n",
		"cases:\n  - name: a\n    workload: &w {command: [x], ports: [1]}\n    expect: {outcome: Running, http: {port: 1}}\n  - {name: b, workload: *w, expect: {outcome: Blocked}, when: [{apparmor: disabled, expect: {outcome: Running}}]}\n",
		"profiles: {seccomp: .}\ncases: [{name: m, workload: {command: [x]}, seccomp: p.json, expect: {outcome: CreateContainerError}}]\n",
		"timeout: 1s\nparallel: 3\nstableFor: 10ms\nimages: {i: {build: ., binary: /b}}\nprobe: i\ncases: []\n",
		"a: &a [*a]\n",
		"cases: [{name: x, when: [{kubernetes: '<1.24', expect: {outcome: Failed}}], expect: {outcome: Failed, exitCode: 3}}]",
		"- [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]\n",
		"\xff\xfe\x00",
	}
	if b, err := os.ReadFile("../.secprof.yaml"); err == nil {
		seeds = append(seeds, string(b))
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	path := filepath.Join(dir, "plan.yaml")
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePlanBytes(path, b, PlanSource{})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if len(p.Cases) == 0 || p.Parallel < 1 || p.Timeout <= 0 {
			t.Fatalf("accepted an unusable plan: %+v", p)
		}
		for _, c := range p.Cases {
			if c.Name == "" || !c.Expect.Outcome.valid() {
				t.Fatalf("accepted case %+v", c)
			}
		}
	})
}
