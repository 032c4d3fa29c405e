// Package filter turns a seccomp profile (OCI/Docker JSON, or a Security
// Profiles Operator SeccompProfile) into the BPF program a container
// runtime would install, with libseccomp and the same rules runc and
// moby/containerd apply: includes/excludes by capability, architecture and
// kernel version, errnoRet/defaultErrnoRet, argument conditions (grouped
// as runc groups them), unknown syscall names ignored, rules equal to the
// default action dropped. It also evaluates such programs in user space,
// so a supervisor receiving a seccomp notification can tell what the
// profile would have done with the call.
package filter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

// MaxProfileSize bounds a profile file.
const MaxProfileSize = 4 << 20

// Profile is a seccomp profile in the OCI/Docker JSON format.
type Profile struct {
	DefaultAction    string    `json:"defaultAction" yaml:"defaultAction"`
	DefaultErrnoRet  *uint     `json:"defaultErrnoRet,omitempty" yaml:"defaultErrnoRet,omitempty"`
	Architectures    []string  `json:"architectures,omitempty" yaml:"architectures,omitempty"`
	ArchMap          []ArchMap `json:"archMap,omitempty" yaml:"archMap,omitempty"`
	ListenerPath     string    `json:"listenerPath,omitempty" yaml:"listenerPath,omitempty"`
	ListenerMetadata string    `json:"listenerMetadata,omitempty" yaml:"listenerMetadata,omitempty"`
	Flags            []string  `json:"flags,omitempty" yaml:"flags,omitempty"`
	Syscalls         []Rule    `json:"syscalls,omitempty" yaml:"syscalls,omitempty"`
}

// ArchMap is Docker's per-architecture list of sub-architectures.
type ArchMap struct {
	Arch      string   `json:"architecture" yaml:"architecture"`
	SubArches []string `json:"subArchitectures" yaml:"subArchitectures"`
}

// Rule is one entry of syscalls.
type Rule struct {
	Names    []string `json:"names,omitempty" yaml:"names,omitempty"`
	Name     string   `json:"name,omitempty" yaml:"name,omitempty"` // legacy Docker form
	Action   string   `json:"action" yaml:"action"`
	ErrnoRet *uint    `json:"errnoRet,omitempty" yaml:"errnoRet,omitempty"`
	Args     []Arg    `json:"args,omitempty" yaml:"args,omitempty"`
	Comment  string   `json:"comment,omitempty" yaml:"comment,omitempty"`
	Includes *Cond    `json:"includes,omitempty" yaml:"includes,omitempty"`
	Excludes *Cond    `json:"excludes,omitempty" yaml:"excludes,omitempty"`
}

// Arg is an argument condition.
type Arg struct {
	Index    uint   `json:"index" yaml:"index"`
	Value    uint64 `json:"value" yaml:"value"`
	ValueTwo uint64 `json:"valueTwo,omitempty" yaml:"valueTwo,omitempty"`
	Op       string `json:"op" yaml:"op"`
}

// Cond is Docker's includes/excludes filter.
type Cond struct {
	Caps      []string `json:"caps,omitempty" yaml:"caps,omitempty"`
	Arches    []string `json:"arches,omitempty" yaml:"arches,omitempty"`
	MinKernel string   `json:"minKernel,omitempty" yaml:"minKernel,omitempty"`
}

// LoadFile reads a profile file. Errors read like containerd's, because
// the local backend reports them as its CreateContainerError message.
func LoadFile(path string) (*Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot load seccomp profile %q: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxProfileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot load seccomp profile %q: %w", path, err)
	}
	if len(b) > MaxProfileSize {
		return nil, fmt.Errorf("cannot load seccomp profile %q: larger than %d bytes", path, MaxProfileSize)
	}
	p, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("decoding seccomp profile %q failed: %w", path, err)
	}
	return p, nil
}

// Parse decodes a profile: OCI/Docker JSON, or an SPO SeccompProfile
// (JSON or YAML) whose spec holds the same fields.
func Parse(b []byte) (*Profile, error) {
	trim := bytes.TrimSpace(b)
	if len(trim) == 0 {
		return nil, errors.New("empty profile")
	}
	if trim[0] == '{' {
		var probe struct {
			Kind string          `json:"kind"`
			Spec json.RawMessage `json:"spec"`
		}
		if err := json.Unmarshal(trim, &probe); err != nil {
			return nil, err
		}
		body := trim
		if probe.Kind == "SeccompProfile" {
			body = probe.Spec
			if err := rejectBaseProfile(body); err != nil {
				return nil, err
			}
		}
		var p Profile
		if err := json.Unmarshal(body, &p); err != nil {
			return nil, err
		}
		return &p, nil
	}
	var doc struct {
		Kind string    `yaml:"kind"`
		Spec yaml.Node `yaml:"spec"`
	}
	if err := yaml.Unmarshal(trim, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != "SeccompProfile" {
		return nil, errors.New("not a seccomp profile (JSON, or a SeccompProfile object)")
	}
	var p Profile
	if err := doc.Spec.Decode(&p); err != nil {
		return nil, err
	}
	var base struct {
		Base string `yaml:"baseProfileName"`
	}
	_ = doc.Spec.Decode(&base)
	if base.Base != "" {
		return nil, fmt.Errorf("baseProfileName %q needs the Security Profiles Operator to resolve", base.Base)
	}
	return &p, nil
}

func rejectBaseProfile(spec []byte) error {
	var base struct {
		Base string `json:"baseProfileName"`
	}
	_ = json.Unmarshal(spec, &base)
	if base.Base != "" {
		return fmt.Errorf("baseProfileName %q needs the Security Profiles Operator to resolve", base.Base)
	}
	return nil
}
