package spo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/secprof/secprof/lint/seccomp"
)

// JSON renders the composed profile as the runtime-spec seccomp JSON a
// runtime loads (what the operator writes to the node, under
// /var/lib/kubelet/seccomp/operator/…), resolved for runtime rt.
func (f *Flat) JSON(rt seccomp.Runtime) ([]byte, error) {
	b, err := json.MarshalIndent(f.Profile.Spec(seccomp.ForRuntime(rt)), "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// SPO renders the composed profile as a SeccompProfile object without a
// baseProfileName, preceded by a comment naming the chain it was composed
// from.
func (f *Flat) SPO(rt seccomp.Runtime) ([]byte, error) {
	spec := f.Profile.Spec(seccomp.ForRuntime(rt))
	head := f.Chain[0].Profile
	obj := spoObject{APIVersion: head.APIVersion.V, Kind: "SeccompProfile"}
	if obj.APIVersion == "" {
		obj.APIVersion = "security-profiles-operator.x-k8s.io/v1beta1"
	}
	obj.Metadata.Name = head.Name.V
	obj.Metadata.Namespace = head.Namespace.V
	obj.Spec = spoSpec{
		DefaultAction:    spec.DefaultAction,
		DefaultErrnoRet:  spec.DefaultErrnoRet,
		Architectures:    spec.Architectures,
		ListenerPath:     spec.ListenerPath,
		ListenerMetadata: spec.ListenerMetadata,
		Flags:            spec.Flags,
	}
	for _, s := range spec.Syscalls {
		sc := spoSyscall{Action: s.Action, ErrnoRet: s.ErrnoRet, Names: s.Names}
		for _, a := range s.Args {
			sc.Args = append(sc.Args, spoArg{Index: a.Index, Value: a.Value, ValueTwo: a.ValueTwo, Op: a.Op})
		}
		obj.Spec.Syscalls = append(obj.Spec.Syscalls, sc)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Composed by secprof flatten from %s:\n", f.Chain.Names())
	for _, l := range f.Chain {
		fmt.Fprintf(&buf, "#   %s\n", strings.ReplaceAll(l.Source(), "\n", " "))
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(obj); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type spoObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace,omitempty"`
	} `yaml:"metadata"`
	Spec spoSpec `yaml:"spec"`
}

type spoSpec struct {
	DefaultAction    string       `yaml:"defaultAction"`
	DefaultErrnoRet  *uint        `yaml:"defaultErrnoRet,omitempty"`
	Architectures    []string     `yaml:"architectures,omitempty"`
	ListenerPath     string       `yaml:"listenerPath,omitempty"`
	ListenerMetadata string       `yaml:"listenerMetadata,omitempty"`
	Syscalls         []spoSyscall `yaml:"syscalls,omitempty"`
	Flags            []string     `yaml:"flags,omitempty"`
}

type spoSyscall struct {
	Action   string   `yaml:"action"`
	ErrnoRet *uint    `yaml:"errnoRet,omitempty"`
	Names    []string `yaml:"names"`
	Args     []spoArg `yaml:"args,omitempty"`
}

type spoArg struct {
	Index    uint   `yaml:"index"`
	Value    uint64 `yaml:"value"`
	ValueTwo uint64 `yaml:"valueTwo"`
	Op       string `yaml:"op"`
}
