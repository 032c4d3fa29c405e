package spo

import (
	"strings"
	"testing"

	"github.com/secprof/secprof/lint"
)

const unionChild = `apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata: {name: child}
spec:
  defaultAction: SCMP_ACT_ERRNO
  architectures: [SCMP_ARCH_X86_64]
  baseProfileName: base
  syscalls:
  - action: SCMP_ACT_ALLOW
    names: [read, write]
  - action: SCMP_ACT_ERRNO
    names: [ioctl, mount]
  - action: SCMP_ACT_ALLOW
    names: [personality]
    args: [{index: 0, value: 0, op: SCMP_CMP_EQ}]
`

const unionBase = `apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata: {name: base}
spec:
  defaultAction: SCMP_ACT_LOG
  architectures: [SCMP_ARCH_AARCH64]
  flags: [SECCOMP_FILTER_FLAG_LOG]
  syscalls:
  - action: SCMP_ACT_ALLOW
    names: [read, ioctl, execve]
  - action: SCMP_ACT_LOG
    names: [mount]
  - action: SCMP_ACT_ALLOW
    names: [personality]
    args: [{index: 0, value: 0, op: SCMP_CMP_EQ}]
  - action: SCMP_ACT_ALLOW
    names: [personality]
    args: [{index: 0, value: 8, op: SCMP_CMP_EQ}]
`

func chainOf(t *testing.T) Chain {
	idx := NewLocalIndex([]*lint.File{lint.NewFile("child.yaml", []byte(unionChild)), lint.NewFile("base.yaml", []byte(unionBase))})
	chain, problems := (&Resolver{Local: idx.Find}).Resolve(t.Context(), idx.Find("child", ""))
	if len(problems) > 0 {
		t.Fatalf("%+v", problems)
	}
	return chain
}

func TestFlatten(t *testing.T) {
	flat := Flatten(chainOf(t))
	spec := flat.Profile.Spec()
	// The profile's own fields win; only syscalls are merged.
	if spec.DefaultAction != "SCMP_ACT_ERRNO" || strings.Join(spec.Architectures, ",") != "SCMP_ARCH_X86_64" || len(spec.Flags) != 0 {
		t.Errorf("top-level fields: %+v", spec)
	}
	if flat.Profile.BaseProfileName.Set {
		t.Errorf("the composed profile still names a base")
	}
	var got []string
	for _, s := range spec.Syscalls {
		e := s.Action + ":" + strings.Join(s.Names, ",")
		if len(s.Args) > 0 {
			e += "?"
		}
		got = append(got, e)
	}
	// read: same action in both, the profile's entry stays. ioctl: the
	// base's ALLOW beats the profile's ERRNO; mount: LOG beats ERRNO.
	// The identical conditional personality rule is kept once.
	want := "SCMP_ACT_ALLOW:read,write SCMP_ACT_ALLOW:personality? SCMP_ACT_ALLOW:ioctl,execve SCMP_ACT_LOG:mount SCMP_ACT_ALLOW:personality?"
	if strings.Join(got, " ") != want {
		t.Errorf("syscalls\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if len(flat.Loosened) != 2 || flat.Loosened[0].Name != "ioctl" || flat.Loosened[1].Name != "mount" {
		t.Fatalf("loosened %+v", flat.Loosened)
	}
	if l := flat.Loosened[0]; l.OwnName.Start.Line != 12 || l.Base.At.Start.Line != 9 {
		t.Errorf("loosened positions: own %v, base %v", l.OwnName, l.Base.At)
	}
	// Provenance: entries keep their own file's positions.
	if flat.From[2] != 1 || flat.Profile.Syscalls[2].Action.At.Start.Line != 9 {
		t.Errorf("provenance: from %v, line %d", flat.From, flat.Profile.Syscalls[2].Action.At.Start.Line)
	}
}

func TestShifted(t *testing.T) {
	ch := chainOf(t)
	s := ch[1].Profile.Syscalls[2]
	c := shifted(s, stride)
	if c.At.Start.Line != s.At.Start.Line+stride || c.Args[0].Op.At.Start.Line != s.Args[0].Op.At.Start.Line+stride || c.Names.Items[0].At.Start.Line != s.Names.Items[0].At.Start.Line+stride {
		t.Errorf("not shifted: %+v", c)
	}
	if s.At.Start.Line > stride || s.Args[0].Op.At.Start.Line > stride {
		t.Errorf("the original was modified")
	}
}
