package config

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/secprof/secprof/schemas"
)

// TestSchemaMatchesStruct keeps schemas/config.json and the Go types in
// step: every yaml key of File/Lint/Profiles/AppArmor is a property of the
// schema at the same place, and nothing else is.
func TestSchemaMatchesStruct(t *testing.T) {
	b, ok := schemas.Get("config")
	if !ok {
		t.Fatal("schemas/config.json is not embedded")
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, typ reflect.Type, schema map[string]any)
	walk = func(path string, typ reflect.Type, schema map[string]any) {
		props, _ := schema["properties"].(map[string]any)
		var want, got []string
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if key == "" || key == "-" {
				continue
			}
			want = append(want, key)
			if f.Type.Kind() == reflect.Struct && f.Type.PkgPath() == typ.PkgPath() {
				sub, _ := props[key].(map[string]any)
				walk(path+"."+key, f.Type, sub)
			}
		}
		for k := range props {
			got = append(got, k)
		}
		sort.Strings(want)
		sort.Strings(got)
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s: struct keys %v, schema properties %v", path, want, got)
		}
	}
	walk("", reflect.TypeOf(File{}), s)
}
