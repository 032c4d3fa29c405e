// Package schemas embeds the JSON Schemas (draft-07) secprof validates
// against and prints with `secprof schema NAME`: seccomp.json (OCI / Docker /
// containers-common profiles), spo-seccompprofile.json (Security Profiles
// Operator SeccompProfile objects) and whatever other *.json lands here.
package schemas

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.json
var files embed.FS

// Get returns the schema called name, with or without the ".json" suffix
// ("seccomp" and "seccomp.json" are the same schema).
func Get(name string) ([]byte, bool) {
	if strings.ContainsAny(name, `/\`) {
		return nil, false
	}
	if !strings.HasSuffix(name, ".json") {
		name += ".json"
	}
	b, err := fs.ReadFile(files, name)
	if err != nil {
		return nil, false
	}
	return b, true
}

// Names lists the embedded schemas without their ".json" suffix, sorted.
func Names() []string {
	ents, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range ents {
		if n := e.Name(); strings.HasSuffix(n, ".json") {
			out = append(out, strings.TrimSuffix(n, ".json"))
		}
	}
	sort.Strings(out)
	return out
}
