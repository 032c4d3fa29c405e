package harness

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/xeipuuv/gojsonschema"
	"gopkg.in/yaml.v3"

	"github.com/secprof/secprof/schemas"
)

func planSchema(t *testing.T) *gojsonschema.Schema {
	t.Helper()
	b, ok := schemas.Get("plan")
	if !ok {
		t.Fatal("schemas/plan.json is not embedded")
	}
	s, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(b))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *gojsonschema.Schema, doc any) []string {
	t.Helper()
	js, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Validate(gojsonschema.NewBytesLoader(js))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range res.Errors() {
		out = append(out, e.String())
	}
	return out
}

// TestSchemaAcceptsTheFixturePlan keeps schemas/plan.json in step with
// the parser: the repository's own plan validates.
func TestSchemaAcceptsTheFixturePlan(t *testing.T) {
	s := planSchema(t)
	b, err := os.ReadFile("../.secprof.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Test any `yaml:"test"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if errs := validate(t, s, cfg.Test); len(errs) > 0 {
		t.Fatalf("the fixture plan does not validate:\n%s", strings.Join(errs, "\n"))
	}
}

func TestSchemaRejects(t *testing.T) {
	s := planSchema(t)
	for _, bad := range []string{
		"cases: [{name: a, workload: {command: [x]}, expect: {outcome: Runing}}]",
		"cases: [{name: a, workload: {command: [x]}, expct: {outcome: Running}}]",
		"cases: [{name: a, expect: {outcome: Running}}]",
		"timeout: soon\ncases: [{name: a, workload: {command: [x]}, expect: {outcome: Running}}]",
		"cases: [{name: a, workload: {command: [x]}, apparmor: deny-write, expect: {outcome: Running}}]",
		"cases: [{name: a, workload: {command: [x]}, expect: {outcome: Running}, when: [{expect: {outcome: Blocked}}]}]",
		"cases: [{name: a, workload: {command: [x]}, expect: {outcome: Running, http: {port: 0}}}]",
		"cases: []",
	} {
		var doc any
		if err := yaml.Unmarshal([]byte(bad), &doc); err != nil {
			t.Fatal(err)
		}
		if errs := validate(t, s, doc); len(errs) == 0 {
			t.Errorf("schema accepts %s", bad)
		}
	}
}
