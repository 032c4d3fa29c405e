package ghaction

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestActionRunsHarness runs `secprof action` with test: true on the
// repository's own fixture plan (the seed scenario, .secprof.yaml) on the
// local backend, and checks the outputs, the JUnit report and the test
// table of the job summary against each other.
func TestActionRunsHarness(t *testing.T) {
	bin := secprofBinary(t)
	root := repoRoot(t)
	tmp := t.TempDir()
	cmd := exec.Command(bin, "action")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GITHUB_WORKSPACE="+root, "RUNNER_TEMP="+tmp,
		"GITHUB_OUTPUT="+filepath.Join(tmp, "output"), "GITHUB_STEP_SUMMARY="+filepath.Join(tmp, "summary"),
		"INPUT_PATHS=fixtures/seccomp/profiles", "INPUT_FAIL-ON=never", "INPUT_TEST=true", "INPUT_BACKEND=local", "INPUT_TIMEOUT=5m")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("secprof action: %v\n%s", err, out)
	}
	outputs := parseFileCommands(t, mustRead(t, filepath.Join(tmp, "output")))
	junitPath := outputs["junit-file"]
	if junitPath != filepath.Join(tmp, "secprof", "junit.xml") {
		t.Fatalf("junit-file %q", junitPath)
	}
	var junit struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(mustRead(t, junitPath), &junit); err != nil {
		t.Fatal(err)
	}
	if junit.Tests == 0 {
		t.Fatal("the fixture plan ran no case")
	}
	passed, _ := strconv.Atoi(outputs["tests-passed"])
	failed, _ := strconv.Atoi(outputs["tests-failed"])
	if passed != junit.Tests-junit.Failures-junit.Errors-junit.Skipped || failed != junit.Failures+junit.Errors {
		t.Errorf("outputs passed=%q failed=%q, JUnit %+v", outputs["tests-passed"], outputs["tests-failed"], junit)
	}
	if failed != 0 {
		t.Errorf("the seed scenario fails on the local backend:\n%s", out)
	}
	sum := string(mustRead(t, filepath.Join(tmp, "summary")))
	if !strings.Contains(sum, "### Tests (local backend)") || !strings.Contains(sum, "| Case | Expected | Seen | Result | Time | Details |") {
		t.Fatalf("no test table in the summary:\n%s", sum)
	}
	for _, s := range junit.Suites {
		for _, c := range s.Cases {
			if !strings.Contains(sum, "| "+md(c.Name)+" |") {
				t.Errorf("case %q missing from the summary", c.Name)
			}
		}
	}
	if !strings.Contains(string(out), "::group::secprof test (local backend)") {
		t.Errorf("no log group for the tests:\n%s", out)
	}
	for _, c := range workflowCommands(t, string(out)) {
		if c.name != "group" && c.name != "endgroup" && c.name != "stop-commands" && !strings.HasPrefix(c.name, "secprof-") && c.name != "warning" && c.name != "error" && c.name != "notice" {
			t.Errorf("unexpected command %+v", c)
		}
	}
}
