package kind

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"
)

// KubeletSeccompRoot is where the kubelet resolves Localhost seccomp
// profiles: a case's "profiles/audit.json" is
// /var/lib/kubelet/seccomp/profiles/audit.json on the node.
const KubeletSeccompRoot = "/var/lib/kubelet/seccomp"

// maxMounts bounds the entries of a profiles directory mounted into the
// nodes (one extraMount each).
const maxMounts = 64

// maxConfigSize bounds an extra kind config file.
const maxConfigSize = 1 << 20

// offlinePatch is what a node image without kind's default CNI, kube-proxy
// and CoreDNS images needs (the offline image hack/ builds): kubeadm must
// not try to deploy the latter two. The list replaces kind's own, so kind's
// preflight skip stays in it.
const offlinePatch = `kind: InitConfiguration
skipPhases:
  - preflight
  - addon/kube-proxy
  - addon/coredns
`

// seccompDefaultPatch turns on the kubelet's seccompDefault (every
// container without a profile gets RuntimeDefault). A KubeletConfiguration
// patch works for every kubeadm config version, where kubeletExtraArgs
// changed shape in v1beta4.
const seccompDefaultPatch = `kind: KubeletConfiguration
seccompDefault: true
`

// ClusterSpec is what the kind backend wants of a cluster.
type ClusterSpec struct {
	NodeImage string
	// Workers are worker nodes added to the config's nodes (or to the one
	// control-plane node when the config has none).
	Workers int
	// SeccompDefault turns on the kubelet's seccompDefault on every node.
	SeccompDefault bool
	// Offline applies offlinePatch (no default CNI, no kube-proxy, no
	// CoreDNS).
	Offline bool
	// NodeMinor is the Kubernetes minor version of the node image (0 when
	// unknown): SeccompDefault needs its feature gate before v1.25.
	NodeMinor int
	// Mounts are added to every node.
	Mounts []v1alpha4.Mount
}

// ReadExtraConfig reads a kind config file (kind.x-k8s.io/v1alpha4
// Cluster) to merge, strictly.
func ReadExtraConfig(file string) (*v1alpha4.Cluster, error) {
	st, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	if st.Size() > maxConfigSize {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d allowed for a kind config", file, st.Size(), maxConfigSize)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return ParseExtraConfig(file, b)
}

// ParseExtraConfig parses a kind config (see ReadExtraConfig).
func ParseExtraConfig(file string, b []byte) (*v1alpha4.Cluster, error) {
	if len(b) > maxConfigSize {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d allowed for a kind config", file, len(b), maxConfigSize)
	}
	var c v1alpha4.Cluster
	if err := yaml.UnmarshalStrict(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	if c.Kind != "" && c.Kind != "Cluster" {
		return nil, fmt.Errorf("%s: kind is %q, want Cluster", file, c.Kind)
	}
	if c.APIVersion != "" && c.APIVersion != "kind.x-k8s.io/v1alpha4" {
		return nil, fmt.Errorf("%s: apiVersion is %q, want kind.x-k8s.io/v1alpha4", file, c.APIVersion)
	}
	return &c, nil
}

// BuildConfig merges the backend's needs into extra (nil: an empty
// config): the node image on every node, the profile mounts, the
// SeccompDefault and offline settings, the extra workers.
func BuildConfig(extra *v1alpha4.Cluster, s ClusterSpec) (*v1alpha4.Cluster, error) {
	c := &v1alpha4.Cluster{}
	if extra != nil {
		cp := *extra
		cp.Nodes = append([]v1alpha4.Node(nil), extra.Nodes...)
		cp.KubeadmConfigPatches = append([]string(nil), extra.KubeadmConfigPatches...)
		if extra.FeatureGates != nil {
			cp.FeatureGates = map[string]bool{}
			for k, v := range extra.FeatureGates {
				cp.FeatureGates[k] = v
			}
		}
		c = &cp
	}
	c.TypeMeta = v1alpha4.TypeMeta{Kind: "Cluster", APIVersion: "kind.x-k8s.io/v1alpha4"}
	if len(c.Nodes) == 0 {
		c.Nodes = []v1alpha4.Node{{Role: v1alpha4.ControlPlaneRole}}
	}
	if s.Workers < 0 || s.Workers > 16 {
		return nil, fmt.Errorf("workers must be between 0 and 16, not %d", s.Workers)
	}
	for i := 0; i < s.Workers; i++ {
		c.Nodes = append(c.Nodes, v1alpha4.Node{Role: v1alpha4.WorkerRole})
	}
	for i := range c.Nodes {
		n := &c.Nodes[i]
		if s.NodeImage != "" {
			n.Image = s.NodeImage
		}
		for _, m := range s.Mounts {
			for _, have := range n.ExtraMounts {
				if path.Clean(have.ContainerPath) == path.Clean(m.ContainerPath) {
					return nil, fmt.Errorf("the kind config already mounts something at %s, where the backend mounts the profiles", m.ContainerPath)
				}
			}
			n.ExtraMounts = append(n.ExtraMounts, m)
		}
		n.ExtraMounts = append([]v1alpha4.Mount(nil), n.ExtraMounts...)
	}
	if s.Offline {
		c.Networking.DisableDefaultCNI = true
		c.Networking.KubeProxyMode = v1alpha4.ProxyMode("none")
		c.KubeadmConfigPatches = append(c.KubeadmConfigPatches, offlinePatch)
	}
	if s.SeccompDefault {
		c.KubeadmConfigPatches = append(c.KubeadmConfigPatches, seccompDefaultPatch)
		// The gate existed (off by default) from v1.22 and was on by
		// default from v1.25; it is gone in current versions, where
		// setting it is an error.
		if s.NodeMinor > 0 && s.NodeMinor < 25 {
			if c.FeatureGates == nil {
				c.FeatureGates = map[string]bool{}
			}
			c.FeatureGates["SeccompDefault"] = true
		}
	}
	return c, nil
}

// ProfileMounts mounts the entries of the plan's seccomp directory (the
// kubelet's seccomp root as far as the plan is concerned) that the cases'
// Localhost paths start with, at the same place under the node's seccomp
// root, read-only: profiles.seccomp = fixtures/seccomp and a case's
// "profiles/audit.json" become the seed tutorial's mount of ./profiles at
// /var/lib/kubelet/seccomp/profiles. Mounting only what the cases use
// keeps the rest of the directory (and of the node's seccomp root) out.
func ProfileMounts(dir string, localhostPaths []string) ([]v1alpha4.Mount, error) {
	if dir == "" || len(localhostPaths) == 0 {
		return nil, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []v1alpha4.Mount
	for _, lp := range localhostPaths {
		name, _, _ := strings.Cut(lp, "/")
		if name == "" || seen[name] || strings.HasPrefix(name, ".") {
			continue
		}
		seen[name] = true
		p := filepath.Join(abs, name)
		// A symbolic link would let a plan mount anything of the host
		// into the node: only what really is in the directory goes in.
		st, err := os.Lstat(p)
		if err != nil {
			continue // a missing profile: the case expects CreateContainerError
		}
		if !st.IsDir() && !st.Mode().IsRegular() {
			return nil, fmt.Errorf("profiles directory: %s is neither a directory nor a regular file, so it is not mounted into the nodes", p)
		}
		if strings.ContainsAny(name, ":,\n") {
			return nil, fmt.Errorf("profiles directory: %q cannot be mounted into a kind node (':' ',' or newline in the name)", name)
		}
		out = append(out, v1alpha4.Mount{HostPath: p, ContainerPath: path.Join(KubeletSeccompRoot, name), Readonly: true})
	}
	if len(out) > maxMounts {
		return nil, fmt.Errorf("the cases use %d top-level entries of %s, more than the %d the kind backend mounts; group the profiles in sub-directories", len(out), dir, maxMounts)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ContainerPath < out[j].ContainerPath })
	return out, nil
}

// MarshalConfig renders a config as YAML (logs, docs, --keep hints).
func MarshalConfig(c *v1alpha4.Cluster) (string, error) {
	if c == nil {
		return "", errors.New("no config")
	}
	b, err := yaml.Marshal(c)
	return string(b), err
}
