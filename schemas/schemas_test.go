package schemas

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/xeipuuv/gojsonschema"
)

func TestEverySchemaCompiles(t *testing.T) {
	names := Names()
	for _, want := range []string{"seccomp", "spo-seccompprofile"} {
		if !slices.Contains(names, want) {
			t.Errorf("schema %s not embedded (have %v)", want, names)
		}
	}
	for _, n := range names {
		b, ok := Get(n)
		if !ok {
			t.Fatalf("Get(%q) failed", n)
		}
		if b2, ok := Get(n + ".json"); !ok || string(b2) != string(b) {
			t.Errorf("Get(%q) differs from Get(%q)", n+".json", n)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if m["$schema"] != "http://json-schema.org/draft-07/schema#" {
			t.Errorf("%s: $schema = %v, want draft-07", n, m["$schema"])
		}
		if _, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(b)); err != nil {
			t.Errorf("%s does not compile: %v", n, err)
		}
	}
	for _, bad := range []string{"../go.mod", "nope", "a/b"} {
		if _, ok := Get(bad); ok {
			t.Errorf("Get(%q) succeeded", bad)
		}
	}
}
