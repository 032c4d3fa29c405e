package ghaction

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func getter(m map[string]string) func(string) string {
	return func(k string) string { return strings.TrimSpace(m[k]) }
}

func TestReadInputsDefaults(t *testing.T) {
	in, err := ReadInputs(getter(nil))
	if err != nil {
		t.Fatal(err)
	}
	if in.Format != "github" || in.FailOn != "" || in.Test || len(in.Paths) != 0 || in.Timeout != 0 {
		t.Errorf("defaults: %+v", in)
	}
}

func TestReadInputsAll(t *testing.T) {
	in, err := ReadInputs(getter(map[string]string{
		"paths":             "fixtures/seccomp\n\n  fixtures/apparmor  \nname with spaces.json\n",
		"config":            ".secprof.yaml",
		"fail-on":           "warning",
		"format":            "text",
		"sarif-file":        "out/secprof.sarif",
		"test":              "True",
		"backend":           "kind",
		"plan":              "plan.yaml",
		"kind-node-image":   "kindest/node:v1.34.0",
		"cluster-name":      "ci",
		"keep-cluster":      "FALSE",
		"timeout":           "15m",
		"working-directory": "sub/dir",
		"version":           "v1.2.3",
		"diff-base":         "origin/main",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Inputs{
		Paths: []string{"fixtures/seccomp", "fixtures/apparmor", "name with spaces.json"}, Config: ".secprof.yaml",
		FailOn: "warning", Format: "text", SARIFFile: "out/secprof.sarif", Test: true, Backend: "kind", Plan: "plan.yaml",
		KindNodeImage: "kindest/node:v1.34.0", ClusterName: "ci", KeepCluster: false, Timeout: 15 * time.Minute,
		WorkingDirectory: "sub/dir", Version: "v1.2.3", DiffBase: "origin/main",
	}
	if strings.Join(in.Paths, "|") != strings.Join(want.Paths, "|") {
		t.Errorf("paths %q", in.Paths)
	}
	in.Paths, want.Paths = nil, nil
	if !reflect.DeepEqual(*in, want) {
		t.Errorf("got  %+v\nwant %+v", *in, want)
	}
}

func TestReadInputsErrors(t *testing.T) {
	cases := map[string]struct {
		in   map[string]string
		want string
	}{
		"fail-on":          {map[string]string{"fail-on": "critical"}, `input fail-on: "critical" is not one of error, warning, info, never`},
		"format":           {map[string]string{"format": "xml"}, `input format: "xml" is not one of`},
		"bool":             {map[string]string{"test": "yes"}, `input test: "yes" is not a boolean`},
		"backend":          {map[string]string{"test": "true", "backend": "podman"}, `input backend: "podman" is not one of local, docker, kind, cluster`},
		"timeout":          {map[string]string{"test": "true", "timeout": "10"}, `input timeout: "10" is not a duration`},
		"negative timeout": {map[string]string{"test": "true", "timeout": "-1m"}, `must be positive`},
		"multiline config": {map[string]string{"config": "a\nb"}, `input config: must be a single line`},
		"hostile ref":      {map[string]string{"diff-base": "--output=/tmp/x"}, `input diff-base: git ref "--output=/tmp/x" starts with '-'`},
		"ref with colon":   {map[string]string{"diff-base": "main:secret"}, `input diff-base:`},
		"harness w/o test": {map[string]string{"backend": "kind", "keep-cluster": "true"}, "input backend: only used with test: true"},
		"too many paths":   {map[string]string{"paths": strings.Repeat("a\n", MaxPaths+1)}, "more than the 1000 allowed"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ReadInputs(getter(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
	// Every problem is reported at once.
	_, err := ReadInputs(getter(map[string]string{"fail-on": "x", "format": "y", "test": "z"}))
	if err == nil || strings.Count(err.Error(), "\n") != 2 {
		t.Errorf("want three errors, got %v", err)
	}
}

func TestParseBool(t *testing.T) {
	for s, want := range map[string]bool{"true": true, "True": true, "TRUE": true, "false": false, "False": false, "FALSE": false} {
		if v, ok := ParseBool(s); !ok || v != want {
			t.Errorf("ParseBool(%q) = %v, %v", s, v, ok)
		}
	}
	for _, s := range []string{"yes", "1", "on", "tRue", ""} {
		if _, ok := ParseBool(s); ok {
			t.Errorf("ParseBool(%q) accepted", s)
		}
	}
}

// InputNames must list exactly the inputs of action.yml (checked against
// the file in actionyml_test.go) and each must be read.
func TestEveryInputIsRead(t *testing.T) {
	read := map[string]bool{}
	_, _ = ReadInputs(func(k string) string { read[k] = true; return "" })
	for _, n := range InputNames {
		if !read[n] {
			t.Errorf("input %s is never read", n)
		}
	}
	if len(read) != len(InputNames) {
		t.Errorf("ReadInputs reads %d inputs, InputNames lists %d", len(read), len(InputNames))
	}
}
