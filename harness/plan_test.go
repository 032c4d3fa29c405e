package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeBackend registers a backend for plan tests of the harness package.
type fakeOpts struct {
	NodeImage string `yaml:"nodeImage"`
	Keep      bool   `yaml:"keep"`
}

func init() {
	Register(BackendSpec{Name: "fake", Summary: "test backend", Options: func() any { return &fakeOpts{} },
		New: func(cfg BackendConfig) (Backend, error) { return newScripted(cfg), nil }})
}

func writePlanDir(t *testing.T, plan string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(p, []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var profileFiles = map[string]string{
	"seccomp/profiles/audit.json":        `{"defaultAction":"SCMP_ACT_LOG"}`,
	"seccomp/profiles/fine-grained.json": `{"defaultAction":"SCMP_ACT_ERRNO"}`,
}

func TestParsePlanOK(t *testing.T) {
	p := writePlanDir(t, `
backend: fake
timeout: 3m
parallel: 2
profiles: {seccomp: seccomp}
fake: {nodeImage: "kindest/node:v1.34.0"}
cases:
  - name: audit
    workload: {command: [sleep, "60"], ports: [5678]}
    seccomp: profiles/audit.json
    expect: {outcome: Running, http: {port: 5678, bodyContains: hi}}
  - name: missing
    workload: {command: [sleep, "60"]}
    seccomp: localhost/profiles/nope.json
    expect: {outcome: CreateContainerError, reason: cannot load seccomp profile}
  - name: deny-write
    workload: {command: [sh, -c, "sleep 1h"]}
    apparmor: localhost/k8s-apparmor-example-deny-write
    expect:
      outcome: Running
      exec: [{command: [touch, /tmp/test], exitCode: 1, outputContains: Permission denied}]
    when:
      - apparmor: disabled
        expect: {outcome: Blocked, reason: AppArmor is not enabled on the host}
`, profileFiles)
	plan, err := LoadPlan(p, PlanSource{})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Backend != "fake" || plan.Parallel != 2 || plan.Timeout.D().Minutes() != 3 || len(plan.Cases) != 3 {
		t.Fatalf("plan %+v", plan)
	}
	c := plan.Cases[0]
	if c.SeccompRef.Kind != SeccompLocalhost || c.SeccompRef.Path != "profiles/audit.json" || c.SeccompRef.Missing || c.Line != 8 {
		t.Fatalf("case %+v ref %+v", c, c.SeccompRef)
	}
	if len(c.Expect.HTTP) != 1 || c.Expect.HTTP[0].Port != 5678 {
		t.Fatalf("http %+v", c.Expect.HTTP)
	}
	if !plan.Cases[1].SeccompRef.Missing {
		t.Fatal("missing profile not flagged")
	}
	dw := plan.Cases[2]
	if dw.AppArmorRef.Name != "k8s-apparmor-example-deny-write" {
		t.Fatalf("apparmor %+v", dw.AppArmorRef)
	}
	e, w := dw.Expectation(Env{Backend: "local", AppArmor: false})
	if e.Outcome != Blocked || w == nil || w.Condition.String() != "apparmor=disabled" {
		t.Fatalf("expectation without AppArmor: %v %v", e.Outcome, w)
	}
	e, w = dw.Expectation(Env{Backend: "local", AppArmor: true})
	if e.Outcome != Running || w != nil {
		t.Fatalf("expectation with AppArmor: %v %v", e.Outcome, w)
	}
	opts, err := decodeBackendOptions(plan, mustBackend(t, "fake"), map[string]string{"keep": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if o := opts.(*fakeOpts); o.NodeImage != "kindest/node:v1.34.0" || !o.Keep {
		t.Fatalf("options %+v", o)
	}
}

func mustBackend(t *testing.T, name string) BackendSpec {
	s, ok := lookupBackend(name)
	if !ok {
		t.Fatal("no backend", name)
	}
	return s
}

func TestParsePlanErrors(t *testing.T) {
	tests := []struct {
		name, plan string
		want       []string // substrings, each with its position
	}{
		{"unknown key", "cases:\n  - name: a\n    workload: {command: [x]}\n    expct: {outcome: Running}\n",
			[]string{`plan.yaml:4:5: unknown key "expct"`}},
		{"unknown nested key", "cases:\n  - name: a\n    workload: {command: [x], imag: y}\n    expect: {outcome: Running}\n",
			[]string{`plan.yaml:3:30: unknown key "imag"`}},
		{"unknown backend key", "backend: fake\nfake: {nodeImg: x}\ncases:\n  - name: a\n    workload: {command: [x]}\n    expect: {outcome: Running}\n",
			[]string{`plan.yaml:2:8: unknown key "nodeImg"`}},
		{"missing profile", "profiles: {seccomp: seccomp}\ncases:\n  - name: a\n    workload: {command: [x]}\n    seccomp: profiles/nope.json\n    expect: {outcome: Running}\n",
			[]string{`plan.yaml:5:14: case "a": seccomp: profile profiles/nope.json does not exist`}},
		{"dot dot", "profiles: {seccomp: seccomp}\ncases:\n  - name: a\n    workload: {command: [x]}\n    seccomp: profiles/../../etc/passwd\n    expect: {outcome: Running}\n",
			[]string{`plan.yaml:5:14: case "a": seccomp: Localhost path "profiles/../../etc/passwd" must not contain ".."`}},
		{"absolute", "cases:\n  - name: a\n    workload: {command: [x]}\n    seccomp: /etc/passwd\n    expect: {outcome: Running}\n",
			[]string{`plan.yaml:4:14:`, "must be relative"}},
		{"bad outcome", "cases:\n  - name: a\n    workload: {command: [x]}\n    expect: {outcome: Runing}\n",
			[]string{`plan.yaml:4:23: case "a": expect.outcome "Runing" is not one of`}},
		{"bad duration", "timeout: soon\ncases:\n  - name: a\n    workload: {command: [x]}\n    expect: {outcome: Running}\n",
			[]string{`plan.yaml:1:10: invalid duration "soon"`}},
		{"no cases", "backend: local\n", []string{"the plan has no cases"}},
		{"duplicate names", "cases:\n  - name: a\n    workload: {command: [x]}\n    expect: {outcome: Running}\n  - name: a\n    workload: {command: [x]}\n    expect: {outcome: Running}\n",
			[]string{`plan.yaml:5:11: case "a": duplicate case name (first at line 2)`}},
		{"checks need Running", "cases:\n  - name: a\n    workload: {command: [x]}\n    expect: {outcome: CrashLoopBackOff, http: {port: 80}}\n",
			[]string{"need outcome Running"}},
		{"when without condition", "cases:\n  - name: a\n    workload: {command: [x]}\n    expect: {outcome: Running}\n    when: [{expect: {outcome: Blocked}}]\n",
			[]string{"plan.yaml:5:12:", "at least one condition"}},
		{"bad apparmor", "cases:\n  - name: a\n    workload: {command: [x]}\n    apparmor: deny-write\n    expect: {outcome: Running}\n",
			[]string{`plan.yaml:4:15: case "a": apparmor: "deny-write" is not`}},
		{"pod outside", "cases:\n  - name: a\n    pod: ../pod.yaml\n    expect: {outcome: Running}\n",
			[]string{"plan.yaml:3:10:", "leaves"}},
		{"unknown backend", "backend: nomad\ncases:\n  - name: a\n    workload: {command: [x]}\n    expect: {outcome: Running}\n",
			[]string{`plan.yaml:1:10: unknown backend "nomad"`}},
		{"syntax", "cases: [\n", []string{"plan.yaml:1: did not find expected node content"}},
		{"not a mapping", "- a\n", []string{"plan.yaml:1:1: a test plan is a mapping"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writePlanDir(t, tt.plan, profileFiles)
			_, err := LoadPlan(p, PlanSource{})
			if err == nil {
				t.Fatal("no error")
			}
			msg := strings.ReplaceAll(err.Error(), filepath.Dir(p)+"/", "")
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error\n%s\ndoes not contain\n%s", msg, w)
				}
			}
		})
	}
}

func TestConstraint(t *testing.T) {
	for _, tt := range []struct {
		c, v string
		want bool
	}{{"<1.24", "v1.23.4", true}, {"<1.24", "1.24.0", false}, {">=1.30", "v1.34.2", true}, {"1.34", "v1.34.0-rc.1", true}, {">1.9", "1.10", true}} {
		c, err := parseConstraint(tt.c)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.match(tt.v); got != tt.want {
			t.Errorf("%s %s = %v", tt.c, tt.v, got)
		}
	}
}

var _ = context.Background

func TestParsePlanAliasBomb(t *testing.T) {
	// Nested aliases must not make parsing exponential.
	var b strings.Builder
	b.WriteString("cases:\n  - &a0 {name: a, workload: {command: [x]}, expect: {outcome: Running}}\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "  - &a%d [", i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	p := writePlanDir(t, b.String(), nil)
	done := make(chan error, 1)
	go func() {
		_, err := LoadPlan(p, PlanSource{})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("accepted")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the parser hangs on nested aliases")
	}
}
