package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/secprof/secprof/harness"
)

func planWith(t *testing.T, files map[string]string, apparmor map[string]string) *harness.Plan {
	t.Helper()
	dir := t.TempDir()
	sec := filepath.Join(dir, "seccomp")
	aa := filepath.Join(dir, "apparmor")
	for name, content := range files {
		p := filepath.Join(sec, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{sec, aa} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range apparmor {
		if err := os.WriteFile(filepath.Join(aa, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	plan := &harness.Plan{Dir: dir, Profiles: harness.ProfileDirs{Seccomp: sec, AppArmor: aa}}
	return plan
}

func localhost(name, path string) *harness.Case {
	return &harness.Case{Name: name, SeccompRef: harness.SeccompRef{Kind: harness.SeccompLocalhost, Path: path}}
}

func TestProfileFiles(t *testing.T) {
	plan := planWith(t, map[string]string{
		"profiles/audit.json":  `{"defaultAction":"SCMP_ACT_LOG"}`,
		"profiles/unused.json": `{}`,
	}, map[string]string{"deny-write": "profile x {}", ".hidden": "x"})
	plan.Cases = []*harness.Case{localhost("a", "profiles/audit.json"), localhost("m", "profiles/missing.json")}
	sec, aa, err := profileFiles(plan)
	if err != nil {
		t.Fatal(err)
	}
	if len(sec) != 1 || string(sec["profiles/audit.json"]) != `{"defaultAction":"SCMP_ACT_LOG"}` {
		t.Errorf("seccomp files %v: only the used, existing profiles go onto the nodes", sec)
	}
	if len(aa) != 1 || aa["deny-write"] == nil {
		t.Errorf("apparmor files %v", aa)
	}

	big := planWith(t, map[string]string{"p.json": strings.Repeat("x", maxProfileBytes+1)}, nil)
	big.Cases = []*harness.Case{localhost("a", "p.json")}
	if _, _, err := profileFiles(big); err == nil {
		t.Error("a profile larger than a ConfigMap can hold was accepted")
	}

	link := planWith(t, nil, nil)
	if err := os.Symlink("/etc/hostname", filepath.Join(link.Profiles.Seccomp, "out.json")); err != nil {
		t.Fatal(err)
	}
	link.Cases = []*harness.Case{localhost("a", "out.json")}
	if _, _, err := profileFiles(link); err == nil {
		t.Error("a profile linking out of the profiles directory was read")
	}

	odd := planWith(t, nil, map[string]string{"bad name": "x"})
	if _, _, err := profileFiles(odd); err == nil {
		t.Error("an AppArmor file name with a space was accepted")
	}
}

func TestConfigMapItems(t *testing.T) {
	cm, items := configMap("ns", "cm", "run", map[string][]byte{"profiles/b.json": []byte("B"), "a.json": []byte("A")})
	if cm.Data["files"] != "a.json\nprofiles/b.json\n" {
		t.Errorf("file list %q", cm.Data["files"])
	}
	paths := map[string]string{}
	for _, it := range items {
		paths[it.Path] = it.Key
	}
	if paths[".files"] != "files" || string(cm.BinaryData[paths["a.json"]]) != "A" || string(cm.BinaryData[paths["profiles/b.json"]]) != "B" {
		t.Errorf("items %v data %v", items, cm.BinaryData)
	}
}

func TestInstallerDaemonSet(t *testing.T) {
	plain := installerDaemonSet("ns", "run", "busybox:1.37", "/var/lib/kubelet/seccomp", "secprof-run", []corev1.KeyToPath{{Key: "files", Path: ".files"}}, []corev1.KeyToPath{{Key: "files", Path: ".files"}})
	spec := plain.Spec.Template.Spec
	if len(spec.Tolerations) != 1 || spec.Tolerations[0].Operator != corev1.TolerationOpExists {
		t.Errorf("the installer must run on every node, tainted ones too: %v", spec.Tolerations)
	}
	sc := spec.InitContainers[0].SecurityContext
	if sc.Privileged != nil && *sc.Privileged {
		t.Error("privileged without AppArmor profiles to load")
	}
	for _, v := range spec.Volumes {
		if v.HostPath != nil && v.HostPath.Path == "/" {
			t.Error("host root mounted without AppArmor profiles to load")
		}
	}
	withAA := installerDaemonSet("ns", "run", "busybox:1.37", "/var/lib/kubelet/seccomp", "secprof-run", nil,
		[]corev1.KeyToPath{{Key: "files", Path: ".files"}, {Key: "f0", Path: "deny-write"}})
	if p := withAA.Spec.Template.Spec.InitContainers[0].SecurityContext.Privileged; p == nil || !*p {
		t.Error("loading AppArmor profiles needs a privileged installer")
	}
	env := withAA.Spec.Template.Spec.Containers[0].Env
	if env[0].Name != "SECPROF_DIR" || env[0].Value != "secprof-run" {
		t.Errorf("env %v", env)
	}
}

func TestReportLine(t *testing.T) {
	m := reportRE.FindStringSubmatch("secprof-installer node=kind-worker seccomp=3 apparmor=disabled apparmor-loaded=0")
	if m == nil || m[1] != "kind-worker" || m[2] != "disabled" {
		t.Errorf("match %v", m)
	}
}

func TestInstallerFailure(t *testing.T) {
	p := corev1.Pod{Status: corev1.PodStatus{InitContainerStatuses: []corev1.ContainerStatus{{Name: "install",
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull", Message: "no registry"}}}}}}
	if msg := installerFailure(p); !strings.Contains(msg, "ErrImagePull") {
		t.Errorf("got %q", msg)
	}
	p.Status.InitContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "PodInitializing"}}
	if msg := installerFailure(p); msg != "" {
		t.Errorf("initializing reported as failure: %q", msg)
	}
}

func TestExpandCase(t *testing.T) {
	plan := &harness.Plan{Cases: []*harness.Case{{Name: "a"}, {Name: "b"}}}
	b := &Backend{plan: plan, caseNode: map[*harness.Case]string{}, logf: t.Logf}
	if got := b.ExpandCase(plan.Cases[0]); len(got) != 1 || got[0] != plan.Cases[0] {
		t.Errorf("without allNodes a case runs once: %v", got)
	}
	b.targets = []corev1.Node{{}, {}}
	b.targets[0].Name, b.targets[1].Name = "n1", "n2"
	var names []string
	for _, c := range plan.Cases {
		for _, e := range b.ExpandCase(c) {
			names = append(names, e.Name+"="+b.caseNode[e])
		}
	}
	if strings.Join(names, ",") != "a @n1=n1,a @n2=n2,b @n1=n1,b @n2=n2" {
		t.Errorf("expanded %v", names)
	}
	if len(plan.Cases) != 2 || plan.Cases[0].Name != "a" {
		t.Errorf("the plan's cases changed: %v", plan.Cases)
	}
}
