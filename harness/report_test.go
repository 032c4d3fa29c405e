package harness

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

func sampleResult() *Result {
	code := 1
	return &Result{Plan: "plan.yaml", Backend: "local", Env: Env{Runtime: "libseccomp 2.5.4"}, Start: time.Unix(0, 0), Duration: 1500 * time.Millisecond,
		Passed: 1, Failed: 1, Skipped: 1, Errors: 1,
		Cases: []CaseResult{
			{Name: "ok", Line: 3, Status: Passed, Expected: Expect{Outcome: Running}, Verdict: &Verdict{Outcome: Running, Reason: "running for 2s"}, Duration: time.Second},
			{Name: "bad \x1b[31mred", Line: 7, Status: FailedS, Expected: Expect{Outcome: Running},
				Verdict:     &Verdict{Outcome: CrashLoopBackOff, Reason: "Error (exit code 1)", ExitCode: &code},
				Failures:    []string{"expected Running, got CrashLoopBackOff (Error (exit code 1))"},
				Explanation: &Explanation{Denied: []string{"bind"}, Source: "seccomp user notification"},
				Logs:        []string{"listen: \x00\x07operation not permitted"}, Duration: 2 * time.Second},
			{Name: "skip", Status: Skipped, Skip: "a Pod manifest needs a Kubernetes backend"},
			{Name: "err", Status: Errored, Error: "infrastructure: ErrImagePull"},
		}}
}

func TestReports(t *testing.T) {
	r := sampleResult()
	var text strings.Builder
	if err := WriteText(&text, r, false); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"CASE", "bad [31mred", "FAILED bad [31mred (plan.yaml:7)", "denied: bind — add them to the allow list", "| listen: operation not permitted", "SKIPPED skip", "ERROR err", "1 passed, 1 failed, 1 skipped, 1 errors in 1.5s"} {
		if !strings.Contains(text.String(), w) {
			t.Errorf("text lacks %q:\n%s", w, text.String())
		}
	}
	if strings.ContainsAny(text.String(), "\x1b\x00\x07") {
		t.Error("control characters reach the terminal")
	}
	var x strings.Builder
	if err := WriteJUnit(&x, r); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal([]byte(x.String()), &doc); err != nil {
		t.Fatalf("invalid XML: %v\n%s", err, x.String())
	}
	s := doc.Suites[0]
	if s.Tests != 4 || s.Failures != 1 || s.Errors != 1 || s.Skipped != 1 || s.Cases[1].Failure == nil || s.Cases[1].Line != 7 || s.Cases[2].Skipped == nil || s.Cases[3].Error == nil {
		t.Errorf("junit: %+v", s)
	}
	var js strings.Builder
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal([]byte(js.String()), &back); err != nil || back.Cases[1].Verdict.Outcome != CrashLoopBackOff || back.Cases[1].Explanation.Denied[0] != "bind" {
		t.Errorf("json round trip: %v %+v", err, back)
	}
}
