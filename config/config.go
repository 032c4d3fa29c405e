// Package config loads .secprof.yaml, the one file that configures both the
// linter (lint:) and the test harness (test:). Its format is a public
// contract, documented in docs/config.md and schemas/config.json.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// DefaultFile is looked up in the working directory when --config is not given.
const DefaultFile = ".secprof.yaml"

// MaxSize bounds the config file; anything larger is not a hand-written config.
const MaxSize = 1 << 20

// File is the whole .secprof.yaml.
type File struct {
	// Path is where the file was read from ("" for defaults).
	Path     string   `yaml:"-"`
	Profiles Profiles `yaml:"profiles"`
	Lint     Lint     `yaml:"lint"`
	// Test is kept as a node so the harness can decode it with positions
	// (harness/plan) without this package knowing the plan format.
	Test yaml.Node `yaml:"test"`
}

// Profiles names the directories that hold the profiles, relative to the
// config file.
type Profiles struct {
	Seccomp  string `yaml:"seccomp"`
	AppArmor string `yaml:"apparmor"`
}

// Lint configures `secprof lint`.
type Lint struct {
	// Runtime is the container runtime that will load the seccomp profiles:
	// containerd (default), cri-o or docker. It decides which fields are honoured.
	Runtime  string            `yaml:"runtime"`
	Disable  []string          `yaml:"disable"`
	Severity map[string]string `yaml:"severity"`
	Ignore   []string          `yaml:"ignore"`
	// Exceptions silence named rules on named paths, with a reason: for
	// profiles that are wrong on purpose (a deny-all test fixture) or
	// formats without comments, where inline suppression is impossible.
	Exceptions []Exception `yaml:"exceptions"`
	FailOn     string      `yaml:"failOn"`
	AppArmor   AppArmor    `yaml:"apparmor"`
}

// Exception silences Rules on the paths matching the glob Path.
type Exception struct {
	Path   string   `yaml:"path"`
	Rules  []string `yaml:"rules"`
	Reason string   `yaml:"reason"`
}

// AppArmor configures the AppArmor linter.
type AppArmor struct {
	// Parser is auto (use apparmor_parser when installed), off, or a path.
	Parser string `yaml:"parser"`
	// Includes are extra include directories (like apparmor_parser -I).
	Includes []string `yaml:"includes"`
}

// Runtimes lists the accepted values of lint.runtime.
var Runtimes = []string{"containerd", "cri-o", "docker"}

// Default returns the configuration used when no file exists.
func Default() *File {
	return &File{Lint: Lint{Runtime: "containerd", FailOn: "error", AppArmor: AppArmor{Parser: "auto"}}}
}

// Load reads path. A missing file is an error; use Find for the optional
// default file.
func Load(path string) (*File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > MaxSize {
		return nil, fmt.Errorf("%s: config file is %d bytes, more than the %d allowed", path, st.Size(), MaxSize)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, b)
}

// Find loads DefaultFile from dir when it exists, else returns Default().
func Find(dir string) (*File, error) {
	p := filepath.Join(dir, DefaultFile)
	if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
		return Default(), nil
	}
	return Load(p)
}

// Parse decodes a config file. Unknown keys are errors carrying the line.
func Parse(path string, b []byte) (*File, error) {
	c := Default()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %v", path, cleanYAMLError(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: a config file holds one YAML document", path)
	}
	c.Path = path
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return c, nil
}

func (c *File) validate() error {
	ok := false
	for _, r := range Runtimes {
		if c.Lint.Runtime == r {
			ok = true
		}
	}
	if !ok {
		return fmt.Errorf("lint.runtime: %q is not one of containerd, cri-o, docker", c.Lint.Runtime)
	}
	switch c.Lint.FailOn {
	case "error", "warning", "info", "never":
	default:
		return fmt.Errorf("lint.failOn: %q is not one of error, warning, info, never", c.Lint.FailOn)
	}
	for i, e := range c.Lint.Exceptions {
		if e.Path == "" || len(e.Rules) == 0 || e.Reason == "" {
			return fmt.Errorf("lint.exceptions[%d]: path, rules and reason are all required", i)
		}
	}
	for id, s := range c.Lint.Severity {
		switch s {
		case "error", "warning", "info":
		default:
			return fmt.Errorf("lint.severity.%s: %q is not one of error, warning, info", id, s)
		}
	}
	return nil
}

// Dir is the directory relative paths in the file are resolved against.
func (c *File) Dir() string {
	if c.Path == "" {
		return "."
	}
	return filepath.Dir(c.Path)
}

// Resolve makes a path from the config file absolute-or-relative to the
// working directory.
func (c *File) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir(), p)
}

// cleanYAMLError drops yaml.v3's "yaml: " prefix so messages read
// "file: line 3: field foo not found in type config.Lint".
func cleanYAMLError(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return joinLines(te.Errors)
	}
	s := err.Error()
	if len(s) > 6 && s[:6] == "yaml: " {
		s = s[6:]
	}
	return s
}

func joinLines(ss []string) string {
	var b bytes.Buffer
	for i, s := range ss {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(s)
	}
	return b.String()
}
