package harness

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the .golden files of testdata/plans/err")

// TestPlanTestdata: every plan under testdata/plans/ok parses; every plan
// under testdata/plans/err fails with exactly the errors in its .golden
// file (positions included).
func TestPlanTestdata(t *testing.T) {
	oks, _ := filepath.Glob("testdata/plans/ok/*.yaml")
	errs, _ := filepath.Glob("testdata/plans/err/*.yaml")
	if len(oks) == 0 || len(errs) == 0 {
		t.Fatal("no testdata")
	}
	for _, p := range oks {
		if _, err := LoadPlan(p, PlanSource{}); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	for _, p := range errs {
		_, err := LoadPlan(p, PlanSource{})
		if err == nil {
			t.Errorf("%s: accepted", p)
			continue
		}
		abs, _ := filepath.Abs(filepath.Dir(p))
		got := strings.ReplaceAll(err.Error(), abs, "$DIR") + "\n"
		golden := strings.TrimSuffix(p, ".yaml") + ".golden"
		if *update {
			os.WriteFile(golden, []byte(got), 0o644)
			continue
		}
		want, _ := os.ReadFile(golden)
		if got != string(want) {
			t.Errorf("%s:\n--- got\n%s--- want\n%s", p, got, want)
		}
	}
}
