package kind

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
)

func TestBuildConfigDefaults(t *testing.T) {
	mounts := []v1alpha4.Mount{{HostPath: "/p/profiles", ContainerPath: "/var/lib/kubelet/seccomp/profiles", Readonly: true}}
	c, err := BuildConfig(nil, ClusterSpec{NodeImage: "img:1", Workers: 1, Mounts: mounts})
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != "Cluster" || c.APIVersion != "kind.x-k8s.io/v1alpha4" {
		t.Errorf("type meta %+v", c.TypeMeta)
	}
	if len(c.Nodes) != 2 || c.Nodes[0].Role != v1alpha4.ControlPlaneRole || c.Nodes[1].Role != v1alpha4.WorkerRole {
		t.Fatalf("nodes %+v", c.Nodes)
	}
	for _, n := range c.Nodes {
		if n.Image != "img:1" || len(n.ExtraMounts) != 1 || n.ExtraMounts[0] != mounts[0] {
			t.Errorf("node %+v", n)
		}
	}
	if c.Networking.DisableDefaultCNI || len(c.KubeadmConfigPatches) != 0 || c.FeatureGates != nil {
		t.Errorf("online image got offline/seccomp settings: %+v", c)
	}
}

func TestBuildConfigOfflineAndSeccompDefault(t *testing.T) {
	c, err := BuildConfig(nil, ClusterSpec{Offline: true, SeccompDefault: true, NodeMinor: 34})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Networking.DisableDefaultCNI || c.Networking.KubeProxyMode != "none" {
		t.Errorf("networking %+v", c.Networking)
	}
	joined := strings.Join(c.KubeadmConfigPatches, "---\n")
	for _, want := range []string{"- preflight", "- addon/kube-proxy", "- addon/coredns", "kind: KubeletConfiguration", "seccompDefault: true"} {
		if !strings.Contains(joined, want) {
			t.Errorf("patches lack %q:\n%s", want, joined)
		}
	}
	// The gate is gone in v1.34: setting it would stop the control plane.
	if c.FeatureGates["SeccompDefault"] {
		t.Errorf("SeccompDefault feature gate set for v1.34")
	}
	old, err := BuildConfig(nil, ClusterSpec{SeccompDefault: true, NodeMinor: 24})
	if err != nil {
		t.Fatal(err)
	}
	if !old.FeatureGates["SeccompDefault"] {
		t.Errorf("SeccompDefault feature gate not set for v1.24")
	}
}

func TestBuildConfigMergesExtra(t *testing.T) {
	extra, err := ParseExtraConfig("kind.yaml", []byte(`
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
featureGates: {Foo: true}
nodes:
- role: control-plane
  image: theirs
  extraMounts: [{hostPath: /data, containerPath: /data}]
- role: worker
kubeadmConfigPatches:
- |
  kind: ClusterConfiguration
  apiServer: {extraArgs: {v: "2"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := BuildConfig(extra, ClusterSpec{NodeImage: "ours", Workers: 1, Offline: true,
		Mounts: []v1alpha4.Mount{{HostPath: "/p", ContainerPath: "/var/lib/kubelet/seccomp/profiles"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Nodes) != 3 {
		t.Fatalf("want the config's two nodes plus one worker, got %d", len(c.Nodes))
	}
	if c.Nodes[0].Image != "ours" || len(c.Nodes[0].ExtraMounts) != 2 {
		t.Errorf("control plane %+v", c.Nodes[0])
	}
	if len(c.KubeadmConfigPatches) != 2 || !c.FeatureGates["Foo"] {
		t.Errorf("user settings lost: %+v", c)
	}
	// The caller's config is not changed.
	if extra.Nodes[0].Image != "theirs" || len(extra.Nodes[0].ExtraMounts) != 1 || len(extra.KubeadmConfigPatches) != 1 {
		t.Errorf("extra config modified: %+v", extra)
	}

	clash := &v1alpha4.Cluster{Nodes: []v1alpha4.Node{{ExtraMounts: []v1alpha4.Mount{{HostPath: "/x", ContainerPath: "/var/lib/kubelet/seccomp/profiles/"}}}}}
	if _, err := BuildConfig(clash, ClusterSpec{Mounts: []v1alpha4.Mount{{HostPath: "/p", ContainerPath: "/var/lib/kubelet/seccomp/profiles"}}}); err == nil {
		t.Error("a mount at the profiles' place was accepted")
	}
	if _, err := BuildConfig(nil, ClusterSpec{Workers: 100}); err == nil {
		t.Error("100 workers accepted")
	}
}

func TestParseExtraConfigErrors(t *testing.T) {
	for name, src := range map[string]string{
		"unknown field": "kind: Cluster\nnodez: []\n",
		"wrong kind":    "kind: Pod\n",
		"wrong version": "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha3\n",
		"not yaml":      "{[",
	} {
		if _, err := ParseExtraConfig("k.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), "k.yaml") {
			t.Errorf("%s: err %v", name, err)
		}
	}
}

func FuzzParseExtraConfig(f *testing.F) {
	f.Add([]byte("kind: Cluster\nnodes: [{role: worker}]\n"))
	f.Add([]byte("kubeadmConfigPatches: ['a']\nnetworking: {kubeProxyMode: none}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseExtraConfig("f.yaml", b)
		if err != nil {
			return
		}
		// Whatever parses merges without panicking.
		_, _ = BuildConfig(c, ClusterSpec{Workers: 1, Offline: true, SeccompDefault: true, NodeMinor: 20})
	})
}

func TestProfileMounts(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "profiles"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "unused"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "top.json"), []byte("{}"), 0o644))
	must(os.Symlink("/etc", filepath.Join(dir, "link")))
	ms, err := ProfileMounts(dir, []string{"profiles/audit.json", "profiles/x/y.json", "top.json", "missing/z.json"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		if !m.Readonly {
			t.Errorf("%s mounted read-write", m.HostPath)
		}
		got = append(got, m.HostPath[len(dir):]+" -> "+m.ContainerPath)
	}
	want := "/profiles -> /var/lib/kubelet/seccomp/profiles,/top.json -> /var/lib/kubelet/seccomp/top.json"
	if strings.Join(got, ",") != want {
		t.Errorf("mounts %v, want %s", got, want)
	}
	if _, err := ProfileMounts(dir, []string{"link/passwd"}); err == nil {
		t.Error("a symbolic link out of the profiles directory was mounted")
	}
	if ms, _ := ProfileMounts(dir, nil); len(ms) != 0 {
		t.Errorf("no Localhost profiles, yet mounts %v", ms)
	}
}

func TestInsidePlanDir(t *testing.T) {
	dir := t.TempDir()
	if _, err := insidePlanDir(dir, "kind.yaml"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"../x.yaml", "/etc/passwd", "a/../../x"} {
		if _, err := insidePlanDir(dir, bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if err := os.Symlink("/etc", filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	if _, err := insidePlanDir(dir, "out/passwd"); err == nil {
		t.Error("a path through a symbolic link out of the plan's directory was accepted")
	}
}

func TestMinorOf(t *testing.T) {
	for v, want := range map[string]int{"v1.34.2": 34, "1.24": 24, "v2": 0, "": 0, "v1.x": 0} {
		if got := minorOf(v); got != want {
			t.Errorf("minorOf(%q) = %d, want %d", v, got, want)
		}
	}
}
