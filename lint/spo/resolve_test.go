package spo

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/seccomp"
)

func spoDoc(name, ns, base string, allow ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata:\n  name: %s\n", name)
	if ns != "" {
		fmt.Fprintf(&b, "  namespace: %s\n", ns)
	}
	b.WriteString("spec:\n  defaultAction: SCMP_ACT_ERRNO\n")
	if base != "" {
		fmt.Fprintf(&b, "  baseProfileName: %s\n", base)
	}
	if len(allow) > 0 {
		fmt.Fprintf(&b, "  syscalls:\n  - action: SCMP_ACT_ALLOW\n    names: [%s]\n", strings.Join(allow, ", "))
	}
	return b.String()
}

func parse(t testing.TB, path, content string) []*seccomp.Profile {
	t.Helper()
	ps, fs := seccomp.ParseBytes(path, []byte(content))
	for _, f := range fs {
		if f.Rule == seccomp.RuleParse {
			t.Fatalf("%s", f)
		}
	}
	return ps
}

func TestResolveLocal(t *testing.T) {
	files := []*lint.File{
		lint.NewFile("a.yaml", []byte(spoDoc("app", "apps", "mid", "uname"))),
		lint.NewFile("b.yaml", []byte(spoDoc("mid", "apps", "runc", "clone")+"---\n"+spoDoc("runc", "", "", "execve"))),
		lint.NewFile("c.yaml", []byte(spoDoc("runc", "other", "", "nope"))),
	}
	idx := NewLocalIndex(files)
	r := &Resolver{Local: idx.Find}
	app := idx.Find("app", "apps")
	chain, problems := r.Resolve(context.Background(), app)
	if len(problems) != 0 {
		t.Fatalf("problems: %+v", problems)
	}
	if got := chain.Names(); got != "app → mid → runc" {
		t.Errorf("chain %s", got)
	}
	// runc without a namespace in b.yaml matches namespace apps; the one
	// of namespace "other" does not.
	if chain[2].Profile.File.Path != "b.yaml" {
		t.Errorf("runc from %s", chain[2].Profile.File.Path)
	}
	if p := idx.Find("runc", "other"); p.File.Path != "c.yaml" {
		t.Errorf("namespace other: %s", p.File.Path)
	}
}

func TestResolveProblems(t *testing.T) {
	ctx := context.Background()
	t.Run("not found, transitively", func(t *testing.T) {
		files := []*lint.File{lint.NewFile("a.yaml", []byte(spoDoc("app", "", "mid")+"---\n"+spoDoc("mid", "", "gone")))}
		idx := NewLocalIndex(files)
		_, problems := (&Resolver{Local: idx.Find}).Resolve(ctx, idx.Find("app", ""))
		if len(problems) != 1 || problems[0].Rule != RuleBaseProfileNotFound || problems[0].At.Name.V != "mid" ||
			!strings.Contains(problems[0].Msg, `base profile mid (of app → mid) names "gone", which is no SeccompProfile`) {
			t.Fatalf("%+v", problems)
		}
	})
	t.Run("self cycle", func(t *testing.T) {
		files := []*lint.File{lint.NewFile("a.yaml", []byte(spoDoc("me", "", "me")))}
		idx := NewLocalIndex(files)
		_, problems := (&Resolver{Local: idx.Find}).Resolve(ctx, idx.Find("me", ""))
		if len(problems) != 1 || problems[0].Rule != RuleBaseProfileCycle || !strings.Contains(problems[0].Msg, "me → me") {
			t.Fatalf("%+v", problems)
		}
	})
	t.Run("depth", func(t *testing.T) {
		for _, n := range []int{14, 15} {
			var docs []string
			for i := 0; i <= n; i++ {
				base := ""
				if i < n {
					base = fmt.Sprintf("l%d", i+1)
				}
				docs = append(docs, spoDoc(fmt.Sprintf("l%d", i), "", base, "read"))
			}
			idx := NewLocalIndex([]*lint.File{lint.NewFile("d.yaml", []byte(strings.Join(docs, "---\n")))})
			chain, problems := (&Resolver{Local: idx.Find}).Resolve(ctx, idx.Find("l0", ""))
			if n == 14 && (len(problems) != 0 || len(chain) != 15) {
				t.Errorf("14 bases: %d links, %+v", len(chain), problems)
			}
			if n == 15 && (len(problems) != 1 || problems[0].Rule != RuleBaseProfileDepth) {
				t.Errorf("15 bases: %+v", problems)
			}
		}
	})
	t.Run("oci without puller", func(t *testing.T) {
		ps := parse(t, "a.yaml", spoDoc("app", "", "oci://ghcr.io/x/y:v1"))
		_, problems := (&Resolver{}).Resolve(ctx, ps[0])
		if len(problems) != 2 || problems[0].Rule != RuleUnpinnedBaseProfile || problems[1].Rule != RuleBaseProfileNotFound {
			t.Fatalf("%+v", problems)
		}
	})
	t.Run("invalid reference", func(t *testing.T) {
		ps := parse(t, "a.yaml", spoDoc("app", "", "oci://nothing"))
		_, problems := (&Resolver{}).Resolve(ctx, ps[0])
		if len(problems) != 1 || problems[0].Rule != RuleBaseProfileNotFound || !strings.Contains(problems[0].Msg, "invalid OCI reference") {
			t.Fatalf("%+v", problems)
		}
	})
}

// TestResolveOCI resolves a chain that mixes local and pulled bases, an
// OCI base naming another OCI base by digest.
func TestResolveOCI(t *testing.T) {
	reg := startRegistry(t)
	d := reg.push("sp/runc", "v1", []layerFile{{name: "profile.yaml", content: spoDoc("runc", "", "", "execve", "read")}}, "")
	reg.push("sp/go", "v1", []layerFile{{name: "profile.yaml", content: spoDoc("go", "", reg.ref("sp/runc@"+d.String()), "futex")}}, "")
	ps := parse(t, "app.yaml", spoDoc("app", "", reg.ref("sp/go:v1"), "uname"))
	r := &Resolver{Puller: newTestPuller(t)}
	chain, problems := r.Resolve(context.Background(), ps[0])
	if len(problems) != 1 || problems[0].Rule != RuleUnpinnedBaseProfile || problems[0].At != ps[0] {
		t.Fatalf("problems %+v", problems)
	}
	if len(chain) != 3 || chain[1].Remote == nil || chain[2].Remote == nil || chain[2].Remote.Digest != d.String() {
		t.Fatalf("chain %s", chain.Names())
	}
	if !strings.HasPrefix(chain[2].Source(), OCIPrefix+reg.host+"/sp/runc@sha256:") {
		t.Errorf("source %s", chain[2].Source())
	}
	flat := Flatten(chain)
	spec := flat.Profile.Spec()
	var names []string
	for _, s := range spec.Syscalls {
		names = append(names, s.Names...)
	}
	if got := strings.Join(names, ","); got != "uname,futex,execve,read" {
		t.Errorf("composed syscalls %s", got)
	}
}

// TestResolveUnavailable: a registry that cannot be reached says nothing
// about the profile — a warning; a tag the registry does not have is an
// error.
func TestResolveUnavailable(t *testing.T) {
	reg := startRegistry(t)
	ps := parse(t, "app.yaml", spoDoc("app", "", reg.ref("sp/nothing:v1"), "uname"))
	r := &Resolver{Puller: newTestPuller(t)}
	_, problems := r.Resolve(context.Background(), ps[0])
	if len(problems) != 2 || problems[1].Rule != RuleBaseProfileNotFound || problems[1].Severity != lint.SeverityUnset ||
		!strings.Contains(problems[1].Msg, "has no tag v1") {
		t.Fatalf("missing tag: %+v", problems)
	}
	reg.srv.Close()
	_, problems = (&Resolver{Puller: newTestPuller(t)}).Resolve(context.Background(), ps[0])
	if len(problems) != 2 || problems[1].Severity != lint.Warning || !strings.Contains(problems[1].Msg, "could not be checked: registry "+reg.host+" unreachable") {
		t.Fatalf("unreachable: %+v", problems)
	}
}
