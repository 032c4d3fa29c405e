package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// Options configure Run. Zero values take the plan's settings.
type Options struct {
	// Backend overrides the plan's backend.
	Backend string
	// Timeout overrides the plan's global timeout.
	Timeout time.Duration
	// Parallel overrides the plan's parallelism.
	Parallel int
	// Keep leaves clusters and containers behind (backends that make them).
	Keep bool
	// NoExplain turns off the re-run that explains failures.
	NoExplain bool
	// Run selects cases whose name matches this regular expression.
	Run string
	// Overrides set keys of backend options, as CLI flags do:
	// Overrides["kind"]["nodeImage"] = "kindest/node:v1.34.0".
	Overrides map[string]map[string]string
	// Log receives progress lines (-v); nil discards them.
	Log io.Writer
	// OnCase is called as each case finishes (from several goroutines,
	// serialised by the runner).
	OnCase func(CaseResult)
}

// Status of a case result.
type Status string

const (
	Passed  Status = "passed"
	FailedS Status = "failed"
	Skipped Status = "skipped"
	Errored Status = "error"
)

// CaseResult is the result of one case. Its JSON form is part of the
// --json output contract (docs/harness.md).
type CaseResult struct {
	Name string `json:"name"`
	Line int    `json:"line,omitempty"`
	// Status is passed, failed, skipped or error.
	Status Status `json:"status"`
	// Expected is the expectation that applied; When names the when: rule
	// that chose it ("" for the case's own expect).
	Expected Expect   `json:"expected"`
	When     string   `json:"when,omitempty"`
	Verdict  *Verdict `json:"verdict,omitempty"`
	// Failures are the reasons a failed case failed.
	Failures []string `json:"failures,omitempty"`
	// Error is the infrastructure error of an errored case; Skip the reason
	// of a skipped one.
	Error       string        `json:"error,omitempty"`
	Skip        string        `json:"skip,omitempty"`
	Checks      []CheckResult `json:"checks,omitempty"`
	Explanation *Explanation  `json:"explanation,omitempty"`
	Logs        []string      `json:"logs,omitempty"`
	// Observations are what the backend saw, in order.
	Observations []Observation `json:"observations,omitempty"`
	Start        time.Time     `json:"start"`
	Duration     time.Duration `json:"durationNs"`
}

// CheckResult is one exec/http/syscalls check.
type CheckResult struct {
	Kind   string `json:"kind"` // exec, http, syscalls, seccompMode, apparmorLabel
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail,omitempty"`
}

// Result is the result of a run.
type Result struct {
	Plan     string        `json:"plan"`
	Backend  string        `json:"backend"`
	Env      Env           `json:"env"`
	Cases    []CaseResult  `json:"cases"`
	Passed   int           `json:"passed"`
	Failed   int           `json:"failed"`
	Skipped  int           `json:"skipped"`
	Errors   int           `json:"errors"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"durationNs"`
}

// OK reports whether no case failed or errored.
func (r *Result) OK() bool { return r != nil && r.Failed == 0 && r.Errors == 0 }

// ExitCode is the CLI's exit code for r: 0 all passed (or skipped), 1 a
// case failed, 2 an infrastructure error.
func (r *Result) ExitCode() int {
	switch {
	case r == nil || r.Errors > 0:
		return 2
	case r.Failed > 0:
		return 1
	}
	return 0
}

// Run runs the plan's cases on its backend and returns the results. The
// error is non-nil only when the run as a whole could not happen (unknown
// backend, backend set-up failed, cancelled): per-case problems are in the
// Result. Everything started is cleaned up before Run returns, also when
// ctx is cancelled (Ctrl-C) or the global timeout expires.
func Run(ctx context.Context, plan *Plan, opts Options) (*Result, error) {
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	var logMu sync.Mutex
	logf := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		fmt.Fprintf(logw, format+"\n", args...)
	}
	name := plan.Backend
	if opts.Backend != "" {
		name = opts.Backend
	}
	spec, ok := lookupBackend(name)
	if !ok {
		return nil, fmt.Errorf("unknown backend %q (registered: %s)", name, strings.Join(BackendNames(), ", "))
	}
	backendOpts, err := decodeBackendOptions(plan, spec, opts.Overrides[name])
	if err != nil {
		return nil, err
	}
	var sel *regexp.Regexp
	if opts.Run != "" {
		if sel, err = regexp.Compile(opts.Run); err != nil {
			return nil, fmt.Errorf("--run: %v", err)
		}
	}
	timeout := plan.Timeout.D()
	if opts.Timeout > 0 {
		timeout = opts.Timeout
	}
	parallel := plan.Parallel
	if opts.Parallel > 0 {
		parallel = opts.Parallel
	}
	if parallel < 1 {
		parallel = 1
	}

	res := &Result{Plan: plan.File, Backend: name, Start: time.Now()}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("the run's timeout of %s expired", timeout))
	defer cancel()

	builds, err := NewBuilds(plan)
	if err != nil {
		return nil, err
	}
	defer builds.Close()
	b, err := spec.New(BackendConfig{Plan: plan, Options: backendOpts, Keep: opts.Keep, Builds: builds, Logf: logf})
	if err != nil {
		return nil, fmt.Errorf("backend %s: %w", name, err)
	}
	// Close runs whatever happens, with a context of its own so that a
	// cancelled run still cleans up.
	defer func() {
		cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer ccancel()
		if cerr := b.Close(cctx); cerr != nil {
			logf("backend %s: clean-up: %v", name, cerr)
			if err == nil {
				err = fmt.Errorf("backend %s: clean-up: %w", name, cerr)
			}
		}
	}()
	logf("backend %s: preparing", name)
	env, perr := b.Prepare(ctx)
	if perr != nil {
		return nil, fmt.Errorf("backend %s: %w", name, perrOrCause(ctx, perr))
	}
	env.Backend = name
	res.Env = env

	cases := make([]*Case, 0, len(plan.Cases))
	exp, _ := b.(CaseExpander)
	for _, c := range plan.Cases {
		if sel != nil && !sel.MatchString(c.Name) {
			continue
		}
		if exp != nil {
			cases = append(cases, exp.ExpandCase(c)...)
		} else {
			cases = append(cases, c)
		}
	}
	res.Cases = make([]CaseResult, len(cases))
	var cbMu sync.Mutex
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				res.Cases[i] = CaseResult{Name: c.Name, Line: c.Line, Status: Errored, Error: "not run: " + context.Cause(ctx).Error(), Start: time.Now()}
				return
			}
			r := runCase(ctx, b, env, plan, c, opts, logf)
			res.Cases[i] = r
			if opts.OnCase != nil {
				cbMu.Lock()
				opts.OnCase(r)
				cbMu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, r := range res.Cases {
		switch r.Status {
		case Passed:
			res.Passed++
		case FailedS:
			res.Failed++
		case Skipped:
			res.Skipped++
		default:
			res.Errors++
		}
	}
	res.Duration = time.Since(res.Start)
	if ctx.Err() != nil && context.Cause(ctx) != nil {
		err = context.Cause(ctx)
	}
	return res, err
}

func perrOrCause(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", err, context.Cause(ctx))
	}
	return err
}

// decodeBackendOptions decodes test.<backend> with flag overrides applied.
func decodeBackendOptions(plan *Plan, spec BackendSpec, over map[string]string) (any, error) {
	if spec.Options == nil {
		if len(over) > 0 {
			return nil, fmt.Errorf("backend %s takes no options", spec.Name)
		}
		return nil, nil
	}
	v := spec.Options()
	n := plan.BackendOptions[spec.Name]
	if n == nil {
		n = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	} else {
		// Work on a copy: the plan may be run again.
		cp := *n
		cp.Content = append([]*yaml.Node(nil), n.Content...)
		n = &cp
	}
	for k, val := range over {
		setMapKey(n, k, val)
	}
	if len(n.Content) == 0 {
		return v, nil
	}
	if err := DecodeStrict(plan.File, n, v); err != nil {
		return nil, err
	}
	return v, nil
}

func setMapKey(n *yaml.Node, key, val string) {
	vn := &yaml.Node{Kind: yaml.ScalarNode, Value: val}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = vn
			return
		}
	}
	n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, vn)
}

// runCase runs one case from start to clean-up.
func runCase(ctx context.Context, b Backend, env Env, plan *Plan, c *Case, opts Options, logf func(string, ...any)) (r CaseResult) {
	r = CaseResult{Name: c.Name, Line: c.Line, Start: time.Now()}
	defer func() { r.Duration = time.Since(r.Start) }()
	exp, when := c.Expectation(env)
	r.Expected = exp
	if when != nil {
		r.When = when.Condition.String()
	}
	if c.Skip != "" {
		r.Status, r.Skip = Skipped, c.Skip
		return r
	}
	timeout := c.Timeout.D()
	if timeout == 0 {
		timeout = DefaultCaseTimeout
	}
	stable := c.StableFor.D()
	if stable == 0 {
		stable = plan.StableFor.D()
	}
	cctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("case timeout of %s expired", timeout))
	defer cancel()

	logf("%s: starting", c.Name)
	inst, err := b.Start(cctx, c)
	if err != nil {
		if reason, ok := IsSkip(err); ok {
			r.Status, r.Skip = Skipped, reason
			return r
		}
		r.Status, r.Error = Errored, errWithCause(cctx, err)
		return r
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer scancel()
		if err := inst.Stop(sctx); err != nil {
			logf("%s: clean-up: %v", c.Name, err)
			if r.Status != Errored {
				r.Status, r.Error = Errored, "clean-up failed: "+err.Error()
			}
		}
	}
	defer stop()

	restart := "Always"
	if c.Workload != nil && c.Workload.RestartPolicy != "" {
		restart = c.Workload.RestartPolicy
	}
	cl := NewClassifier(ClassifyOptions{RestartPolicy: restart, StableFor: stable})
	obs := inst.Observations()
	var verdict *Verdict
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
wait:
	for verdict == nil {
		if at := cl.StableAt(); !at.IsZero() {
			timer.Reset(time.Until(at))
		} else {
			timer.Reset(time.Hour)
		}
		select {
		case o, ok := <-obs:
			if !ok {
				obs = nil
				if v := cl.Tick(time.Now()); v != nil {
					verdict = v
					break wait
				}
				r.Status, r.Error = Errored, "the backend stopped reporting before a verdict (state: "+cl.State()+")"
				return r
			}
			r.Observations = append(r.Observations, o)
			logf("%s: %s", c.Name, o)
			v, err := cl.Observe(o)
			if err != nil {
				r.Status, r.Error = Errored, "infrastructure: "+err.Error()
				r.Logs = inst.Logs(cctx, 20)
				return r
			}
			verdict = v
		case now := <-timer.C:
			verdict = cl.Tick(now)
		case <-cctx.Done():
			r.Status = Errored
			r.Error = fmt.Sprintf("%v before a verdict (state: %s)", context.Cause(cctx), cl.State())
			r.Logs = inst.Logs(context.WithoutCancel(cctx), 20)
			return r
		}
	}
	r.Verdict = verdict
	logf("%s: verdict %s", c.Name, verdict)
	r.Failures = compareVerdict(exp, verdict)

	if verdict.Outcome == Running && exp.Outcome == Running {
		// Keep watching while the checks run: a workload that dies
		// because a check made it call a denied syscall must not pass.
		died := make(chan Observation, 1)
		watchDone := make(chan struct{})
		go func() {
			defer close(watchDone)
			for o := range obs {
				if o.Kind == ObsTerminated || o.Kind == ObsRestarted || (o.Kind == ObsWaiting && o.Reason == ReasonCrashLoopBackOff) {
					select {
					case died <- o:
					default:
					}
				}
			}
		}()
		r.Checks = runChecks(cctx, inst, exp)
		for _, ch := range r.Checks {
			if !ch.Passed {
				r.Failures = append(r.Failures, fmt.Sprintf("%s check %s: %s", ch.Kind, ch.Name, ch.Detail))
			}
		}
		select {
		case o := <-died:
			r.Observations = append(r.Observations, o)
			r.Failures = append(r.Failures, "the workload stopped during the checks: "+o.String())
		default:
		}
		stop()
		<-watchDone
	} else {
		stop()
		if obs != nil {
			for range obs { // drain so the backend's sender ends
			}
		}
	}
	if len(exp.Denied) > 0 {
		r.Explanation = explain(ctx, b, c, stable, logf, &r)
		if r.Explanation != nil {
			for _, d := range exp.Denied {
				found := false
				for _, x := range r.Explanation.Denied {
					found = found || x == d
				}
				if !found {
					r.Failures = append(r.Failures, fmt.Sprintf("expected the profile to deny %s; it denied: %s", d, strings.Join(r.Explanation.Denied, ", ")))
				}
			}
		}
	}
	if cctx.Err() != nil && len(r.Failures) > 0 && ctx.Err() != nil {
		r.Status, r.Error = Errored, errWithCause(cctx, cctx.Err())
		return r
	}
	if len(r.Failures) == 0 {
		r.Status = Passed
		return r
	}
	r.Status = FailedS
	r.Logs = inst.Logs(context.WithoutCancel(cctx), 20)
	if r.Explanation == nil && !opts.NoExplain {
		r.Explanation = explain(ctx, b, c, stable, logf, nil)
	}
	return r
}

// explain asks the backend which syscalls the case's profile denied. With
// r set (an expect.denied check), not being able to tell is a failure.
func explain(ctx context.Context, b Backend, c *Case, stable time.Duration, logf func(string, ...any), r *CaseResult) *Explanation {
	fail := func(msg string) *Explanation {
		if r != nil {
			r.Failures = append(r.Failures, msg)
		}
		return nil
	}
	if c.SeccompRef.Kind != SeccompLocalhost || c.SeccompRef.Missing {
		return fail("expect.denied needs an existing Localhost seccomp profile")
	}
	ex, ok := b.(Explainer)
	if !ok {
		return fail("this backend cannot tell which syscalls a profile denied; state expect.denied under a when: rule for the backends that can (local)")
	}
	ectx, ecancel := context.WithTimeout(ctx, explainTimeout(stable))
	defer ecancel()
	e, err := ex.Explain(ectx, c)
	if err != nil {
		logf("%s: explain: %v", c.Name, err)
		return fail("could not find the denied syscalls: " + err.Error())
	}
	return e
}

func explainTimeout(stable time.Duration) time.Duration {
	return stable + 30*time.Second
}

func errWithCause(ctx context.Context, err error) string {
	if ctx.Err() != nil {
		if c := context.Cause(ctx); c != nil && !errors.Is(err, c) {
			return err.Error() + " (" + c.Error() + ")"
		}
	}
	return err.Error()
}

// compareVerdict lists how v differs from e.
func compareVerdict(e Expect, v *Verdict) []string {
	var f []string
	if v.Outcome != e.Outcome {
		f = append(f, fmt.Sprintf("expected %s, got %s", e.Outcome, v))
		return f
	}
	if e.Reason != "" && !strings.Contains(strings.ToLower(v.Reason), strings.ToLower(e.Reason)) {
		f = append(f, fmt.Sprintf("expected the reason to contain %q, got %q", e.Reason, v.Reason))
	}
	if e.ExitCode != nil {
		switch {
		case v.ExitCode == nil:
			f = append(f, fmt.Sprintf("expected exit code %d, but the workload did not exit", *e.ExitCode))
		case *v.ExitCode != *e.ExitCode:
			f = append(f, fmt.Sprintf("expected exit code %d, got %d", *e.ExitCode, *v.ExitCode))
		}
	}
	return f
}
