package harness

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/secprof/secprof/harness/probe"
)

// maxBody bounds what an HTTP check reads.
const maxBody = 1 << 20

// httpRetryFor is how long an HTTP check retries a refused connection: a
// server that is Running may still be binding its port.
const httpRetryFor = 5 * time.Second

// runChecks runs the exec, http and probe checks of e against inst.
func runChecks(ctx context.Context, inst Instance, e Expect) []CheckResult {
	var out []CheckResult
	for _, h := range e.HTTP {
		out = append(out, httpCheck(ctx, inst, h))
	}
	for _, x := range e.Exec {
		out = append(out, execCheck(ctx, inst, x))
	}
	if e.Syscalls != nil || e.SeccompMode != "" || e.AppArmorLabel != "" {
		out = append(out, probeChecks(ctx, inst, e)...)
	}
	return out
}

func httpCheck(ctx context.Context, inst Instance, h HTTPCheck) CheckResult {
	path := h.Path
	if path == "" {
		path = "/"
	}
	cr := CheckResult{Kind: "http", Name: fmt.Sprintf(":%d%s", h.Port, path)}
	addr, err := inst.Address(ctx, h.Port)
	if err != nil {
		cr.Detail = "no address: " + err.Error()
		return cr
	}
	client := &http.Client{Timeout: 10 * time.Second}
	url := "http://" + addr + path
	deadline := time.Now().Add(httpRetryFor)
	var resp *http.Response
	for {
		req, rerr := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if rerr != nil {
			cr.Detail = rerr.Error()
			return cr
		}
		resp, err = client.Do(req)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err != nil {
		cr.Detail = err.Error()
		return cr
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		cr.Detail = "reading the body: " + err.Error()
		return cr
	}
	want := h.Status
	if want == 0 {
		want = http.StatusOK
	}
	var problems []string
	if resp.StatusCode != want {
		problems = append(problems, fmt.Sprintf("status %d, want %d", resp.StatusCode, want))
	}
	if h.BodyContains != "" && !strings.Contains(string(body), h.BodyContains) {
		problems = append(problems, fmt.Sprintf("body %q does not contain %q", shorten(string(body), 200), h.BodyContains))
	}
	if len(problems) > 0 {
		cr.Detail = strings.Join(problems, "; ")
		return cr
	}
	cr.Passed = true
	cr.Detail = fmt.Sprintf("status %d, %d bytes", resp.StatusCode, len(body))
	return cr
}

func execCheck(ctx context.Context, inst Instance, x ExecCheck) CheckResult {
	cr := CheckResult{Kind: "exec", Name: strings.Join(x.Command, " ")}
	res, err := inst.Exec(ctx, x.Command)
	if err != nil {
		cr.Detail = err.Error()
		return cr
	}
	var problems []string
	if res.ExitCode != x.ExitCode {
		problems = append(problems, fmt.Sprintf("exit code %d, want %d", res.ExitCode, x.ExitCode))
	}
	if x.OutputContains != "" && !strings.Contains(res.Output, x.OutputContains) {
		problems = append(problems, fmt.Sprintf("output does not contain %q", x.OutputContains))
	}
	if x.OutputNotContains != "" && strings.Contains(res.Output, x.OutputNotContains) {
		problems = append(problems, fmt.Sprintf("output contains %q", x.OutputNotContains))
	}
	if len(problems) > 0 {
		cr.Detail = strings.Join(problems, "; ") + fmt.Sprintf(" (output: %q)", shorten(res.Output, 300))
		return cr
	}
	cr.Passed = true
	cr.Detail = fmt.Sprintf("exit code %d", res.ExitCode)
	return cr
}

func probeChecks(ctx context.Context, inst Instance, e Expect) []CheckResult {
	var names []string
	if e.Syscalls != nil {
		names = append(append(names, e.Syscalls.Denied...), e.Syscalls.Allowed...)
	}
	rep, err := inst.Probe(ctx, names)
	if err != nil {
		return []CheckResult{{Kind: "syscalls", Name: "probe", Detail: err.Error()}}
	}
	return EvalProbe(rep, e)
}

// EvalProbe checks a probe report against the expectation's syscalls,
// seccompMode and apparmorLabel. Exported for backends' tests.
func EvalProbe(rep *probe.Report, e Expect) []CheckResult {
	var out []CheckResult
	if e.SeccompMode != "" {
		cr := CheckResult{Kind: "seccompMode", Name: e.SeccompMode, Passed: rep.Seccomp == e.SeccompMode}
		cr.Detail = "probe reports " + rep.Seccomp
		out = append(out, cr)
	}
	if e.AppArmorLabel != "" {
		cr := CheckResult{Kind: "apparmorLabel", Name: e.AppArmorLabel, Passed: strings.Contains(rep.AppArmor, e.AppArmorLabel)}
		cr.Detail = fmt.Sprintf("probe reports %q", rep.AppArmor)
		out = append(out, cr)
	}
	if e.Syscalls != nil {
		for _, want := range []struct {
			names  []string
			result string
		}{{e.Syscalls.Denied, probe.Denied}, {e.Syscalls.Allowed, probe.Allowed}} {
			for _, n := range want.names {
				cr := CheckResult{Kind: "syscalls", Name: n + " " + want.result}
				s, ok := rep.Find(n)
				switch {
				case !ok:
					cr.Detail = "the probe did not report it"
				case s.Result == want.result:
					cr.Passed = true
					cr.Detail = describeTry(s)
				default:
					cr.Detail = describeTry(s)
				}
				out = append(out, cr)
			}
		}
	}
	return out
}

func describeTry(s probe.Syscall) string {
	d := s.Result
	switch {
	case s.Signal != "":
		d += " (killed by " + s.Signal + ")"
	case s.Errno != "":
		d += " (" + s.Errno + ")"
	}
	if s.Note != "" {
		d += ": " + s.Note
	}
	return d
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
