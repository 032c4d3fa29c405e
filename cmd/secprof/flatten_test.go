package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const flattenBase = `apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: runc-v1.1.5
spec:
  defaultAction: SCMP_ACT_ERRNO
  syscalls:
  - action: SCMP_ACT_ALLOW
    names: [execve, exit, exit_group, read, write, ioctl]
`

const flattenApp = `apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: test
spec:
  defaultAction: SCMP_ACT_ERRNO
  architectures: [SCMP_ARCH_X86_64]
  baseProfileName: runc-v1.1.5
  syscalls:
  - action: SCMP_ACT_ALLOW
    names: [uname]
`

func TestFlattenJSON(t *testing.T) {
	dir := workspace(t, map[string]string{"profiles/base.yaml": flattenBase, "profiles/app.yaml": flattenApp})
	r := secprof(t, dir, "flatten", "profiles/app.yaml", "-o", "out/app.json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "out/app.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		DefaultAction string   `json:"defaultAction"`
		Architectures []string `json:"architectures"`
		Syscalls      []struct {
			Names  []string `json:"names"`
			Action string   `json:"action"`
		} `json:"syscalls"`
	}
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	var names []string
	for _, s := range spec.Syscalls {
		names = append(names, s.Names...)
	}
	if spec.DefaultAction != "SCMP_ACT_ERRNO" || strings.Join(spec.Architectures, ",") != "SCMP_ARCH_X86_64" ||
		strings.Join(names, ",") != "uname,execve,exit,exit_group,read,write,ioctl" {
		t.Errorf("composed: %s", b)
	}
	// The composed profile is a profile secprof lints like any other.
	if l := secprof(t, dir, "lint", "--fail-on", "never", "out/app.json"); l.code != 0 || strings.Contains(l.stdout, "seccomp/parse") {
		t.Errorf("lint of the output: %d %s%s", l.code, l.stdout, l.stderr)
	}
}

func TestFlattenSPO(t *testing.T) {
	dir := workspace(t, map[string]string{"base.yaml": flattenBase, "app.yaml": flattenApp})
	r := secprof(t, dir, "flatten", "--format", "spo", "app.yaml")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "# Composed by secprof flatten from test → runc-v1.1.5:\n#   app.yaml\n#   base.yaml\n") {
		t.Errorf("header: %s", r.stdout)
	}
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(r.stdout), &obj); err != nil {
		t.Fatal(err)
	}
	spec := obj["spec"].(map[string]any)
	if obj["kind"] != "SeccompProfile" || spec["baseProfileName"] != nil || len(spec["syscalls"].([]any)) != 2 {
		t.Errorf("object: %v", obj)
	}
}

func TestFlattenFailures(t *testing.T) {
	dir := workspace(t, map[string]string{
		"app.yaml":   strings.Replace(flattenApp, "runc-v1.1.5", "runc", 1),
		"multi.yaml": flattenBase + "---\n" + flattenApp,
		"bad.yaml":   "kind: SeccompProfile\nspec: [\n",
	})
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "x.yaml"), []byte(flattenApp), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"flatten", "app.yaml", "-o", "out.json"}, `base profile "runc" is no SeccompProfile of the linted files`},
		{[]string{"flatten", "multi.yaml"}, "holds 2 SeccompProfiles (runc-v1.1.5, test): choose one with --name"},
		{[]string{"flatten", "bad.yaml"}, "bad.yaml:2:"},
		{[]string{"flatten", filepath.Join(outside, "x.yaml")}, "outside the workspace"},
		{[]string{"flatten", "missing.yaml"}, "missing.yaml"},
		{[]string{"flatten", "--format", "xml", "app.yaml"}, "--format"},
	} {
		r := secprof(t, dir, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q (want %q)", tc.args, r.code, r.stderr, tc.msg)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out.json")); !os.IsNotExist(err) {
		t.Errorf("a failed flatten left an output file: %v", err)
	}
	if r := secprof(t, dir, "flatten", "--name", "test", "multi.yaml"); r.code != 0 {
		t.Errorf("--name: %d %s", r.code, r.stderr)
	}
}
