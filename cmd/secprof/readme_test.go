package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEExample keeps the README's 30-second example honest: the output
// shown is what the command prints on the seed's fixtures today.
func TestREADMEExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const prompt = "$ secprof lint audit.json violation.json\n"
	_, rest, ok := strings.Cut(string(readme), prompt)
	if !ok {
		t.Fatal("README lost its lint example")
	}
	want, _, _ := strings.Cut(rest, "```")
	dir := t.TempDir()
	for _, name := range []string{"audit.json", "violation.json"} {
		b, err := os.ReadFile(filepath.Join("../../fixtures/seccomp/profiles", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := secprof(t, dir, "lint", "audit.json", "violation.json")
	if r.code != 1 {
		t.Errorf("exit %d, the README says 1", r.code)
	}
	if r.stdout != want {
		t.Errorf("README example is out of date.\n--- README\n%s\n--- actual\n%s", want, r.stdout)
	}
}
