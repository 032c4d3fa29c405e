package config

import (
	"strings"
	"testing"
)

func TestParseDefaultsAndValues(t *testing.T) {
	c, err := Parse(".secprof.yaml", []byte(`
profiles:
  seccomp: fixtures/seccomp
lint:
  runtime: docker
  disable: [seccomp/log-by-default]
  severity: {seccomp/clone-namespaces: info}
  ignore: ["fixtures/**/bad/**"]
test:
  backend: local
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Lint.Runtime != "docker" || c.Lint.FailOn != "error" || c.Lint.AppArmor.Parser != "auto" {
		t.Errorf("got %+v", c.Lint)
	}
	if c.Test.Kind == 0 || c.Test.Line != 10 {
		t.Errorf("test section not kept as a node with its position: %+v", c.Test)
	}
	if c.Resolve("fixtures/seccomp") != "fixtures/seccomp" {
		t.Errorf("Resolve: %s", c.Resolve("fixtures/seccomp"))
	}
}

func TestParseErrorsNameFileAndLine(t *testing.T) {
	cases := map[string]string{
		"lint:\n  runtme: docker\n":                           ".secprof.yaml: line 2: field runtme not found",
		"lint:\n  runtime: podman\n":                          `lint.runtime: "podman" is not one of`,
		"lint: [\n":                                           ".secprof.yaml: line 1:",
		"lint:\n  failOn: sometimes":                          `lint.failOn: "sometimes"`,
		"lint: {}\n---\nlint: {}\n":                           "one YAML document",
		"lint:\n  severity: {x: loud}":                        `lint.severity.x: "loud"`,
		"lint:\n  exceptions: [{path: a.json, rules: [x/y]}]": "lint.exceptions[0]: path, rules and reason are all required",
	}
	for in, want := range cases {
		_, err := Parse(".secprof.yaml", []byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want it to contain %q", in, err, want)
		}
	}
}

func TestEmptyFileIsDefault(t *testing.T) {
	c, err := Parse("x.yaml", nil)
	if err != nil || c.Lint.Runtime != "containerd" {
		t.Errorf("got %+v, %v", c, err)
	}
}
