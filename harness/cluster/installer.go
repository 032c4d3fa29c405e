package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/secprof/secprof/harness"
	"github.com/secprof/secprof/harness/kube"
)

// maxProfileBytes bounds the profiles put into ConfigMaps (1 MiB each is
// the API server's limit).
const maxProfileBytes = 900 << 10

// installerName names the DaemonSet and its ConfigMaps.
const installerName = "secprof-profiles"

// installScript runs in the installer's init container: it copies the
// seccomp profiles under the kubelet's seccomp root, in a directory of the
// run's own, and loads the AppArmor profiles with the node's own
// apparmor_parser where the node's kernel has AppArmor. Its last line
// reports what it did; the backend reads it from the container's log.
const installScript = `set -eu
dest="/host-seccomp/$SECPROF_DIR"
mkdir -p "$dest"
n=0
while IFS= read -r f; do
  [ -n "$f" ] || continue
  mkdir -p "$dest/$(dirname "$f")"
  cat "/profiles/seccomp/$f" >"$dest/$f.tmp"
  mv "$dest/$f.tmp" "$dest/$f"
  n=$((n+1))
done </profiles/seccomp/.files
aa=disabled
if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null || true)" = Y ]; then aa=enabled; fi
loaded=0
if [ "$aa" = enabled ] && [ -s /profiles/apparmor/.files ]; then
  mkdir -p "/host/tmp/$SECPROF_DIR"
  while IFS= read -r f; do
    [ -n "$f" ] || continue
    cat "/profiles/apparmor/$f" >"/host/tmp/$SECPROF_DIR/$f"
    chroot /host apparmor_parser -r -W "/tmp/$SECPROF_DIR/$f"
    loaded=$((loaded+1))
  done </profiles/apparmor/.files
fi
echo "secprof-installer node=$NODE_NAME seccomp=$n apparmor=$aa apparmor-loaded=$loaded"
`

// holdScript keeps the installer pod alive for the run and, when the pod
// is deleted (SIGTERM), removes what the init container installed.
const holdScript = `cleanup() {
  rm -rf "/host-seccomp/$SECPROF_DIR"
  if [ -d "/host/tmp/$SECPROF_DIR" ]; then
    for f in "/host/tmp/$SECPROF_DIR"/*; do
      [ -f "$f" ] && chroot /host apparmor_parser -R "/tmp/$SECPROF_DIR/${f##*/}" || true
    done
    rm -rf "/host/tmp/$SECPROF_DIR"
  fi
  exit 0
}
trap cleanup TERM INT
while :; do sleep 3600 & wait $! || true; done
`

// installation is what the installer did on the nodes.
type installation struct {
	// Dir is the run's directory under the kubelet's seccomp root, which
	// every Localhost path gets as prefix.
	Dir string
	// AppArmor is the AppArmor state per node ("enabled"/"disabled").
	AppArmor map[string]string
	Files    int
}

// profileFiles reads the files to install: the cases' Localhost profiles
// that exist, and every regular file of the AppArmor directory.
func profileFiles(plan *harness.Plan) (seccomp, apparmor map[string][]byte, err error) {
	paths, err := kube.LocalhostPaths(plan)
	if err != nil {
		return nil, nil, err
	}
	total := 0
	seccomp = map[string][]byte{}
	for _, p := range paths {
		b, err := readInside(plan.Profiles.Seccomp, p)
		if os.IsNotExist(err) {
			continue // the case expects CreateContainerError
		}
		if err != nil {
			return nil, nil, err
		}
		total += len(b)
		seccomp[p] = b
	}
	apparmor = map[string][]byte{}
	if dir := plan.Profiles.AppArmor; dir != "" {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range ents {
			if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			if !kube.SafePath(e.Name()) {
				return nil, nil, fmt.Errorf("AppArmor profile file %q: use letters, digits, '_', '.', '-', '+' and '@' in its name", e.Name())
			}
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, nil, err
			}
			total += len(b)
			apparmor[e.Name()] = b
		}
	}
	if total > maxProfileBytes {
		return nil, nil, fmt.Errorf("the profiles the plan uses are %d bytes, more than the %d the cluster backend puts into ConfigMaps", total, maxProfileBytes)
	}
	return seccomp, apparmor, nil
}

// readInside reads rel under dir without following links out of it.
func readInside(dir, rel string) ([]byte, error) {
	p := filepath.Join(dir, filepath.FromSlash(rel))
	rp, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil, err
	}
	rd, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	if r, err := filepath.Rel(rd, rp); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("%s leaves %s through a symbolic link", rel, dir)
	}
	st, err := os.Stat(rp)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", p)
	}
	if st.Size() > maxProfileBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d allowed", p, st.Size(), maxProfileBytes)
	}
	return os.ReadFile(rp)
}

// configMap holds files as binary data, mounted with their paths through
// items; ".files" lists them for the scripts.
func configMap(ns, name string, runID string, files map[string][]byte) (*corev1.ConfigMap, []corev1.KeyToPath) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{kube.LabelManagedBy: kube.ManagedBy, kube.LabelRun: runID}},
		BinaryData: map[string][]byte{},
		Data:       map[string]string{"files": strings.Join(names, "\n") + "\n"},
	}
	items := []corev1.KeyToPath{{Key: "files", Path: ".files"}}
	for i, n := range names {
		k := fmt.Sprintf("f%d", i)
		cm.BinaryData[k] = files[n]
		items = append(items, corev1.KeyToPath{Key: k, Path: n})
	}
	return cm, items
}

// installerDaemonSet runs on every node (it tolerates every taint).
func installerDaemonSet(ns, runID, image, seccompRoot, dir string, seccompItems, apparmorItems []corev1.KeyToPath) *appsv1.DaemonSet {
	lbl := map[string]string{kube.LabelManagedBy: kube.ManagedBy, kube.LabelRun: runID, "app.kubernetes.io/name": installerName}
	no := false
	hostDir := corev1.HostPathDirectoryOrCreate
	vols := []corev1.Volume{
		{Name: "host-seccomp", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: seccompRoot, Type: &hostDir}}},
		{Name: "seccomp", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: installerName + "-seccomp"}, Items: seccompItems}}},
	}
	mounts := []corev1.VolumeMount{
		{Name: "host-seccomp", MountPath: "/host-seccomp"},
		{Name: "seccomp", MountPath: "/profiles/seccomp", ReadOnly: true},
	}
	sc := &corev1.SecurityContext{RunAsUser: ptr(int64(0))}
	if len(apparmorItems) > 1 {
		// Loading AppArmor profiles is done by the node's own
		// apparmor_parser, in the host's root: that needs privileges.
		priv := true
		sc.Privileged = &priv
		hostRoot := corev1.HostPathDirectory
		vols = append(vols,
			corev1.Volume{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/", Type: &hostRoot}}},
			corev1.Volume{Name: "apparmor", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: installerName + "-apparmor"}, Items: apparmorItems}}})
		mounts = append(mounts,
			corev1.VolumeMount{Name: "host", MountPath: "/host"},
			corev1.VolumeMount{Name: "apparmor", MountPath: "/profiles/apparmor", ReadOnly: true})
	} else {
		sc.AllowPrivilegeEscalation = &no
	}
	env := []corev1.EnvVar{
		{Name: "SECPROF_DIR", Value: dir},
		{Name: "NODE_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
	}
	grace := int64(30)
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: installerName, Namespace: ns, Labels: lbl},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: lbl},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: lbl},
				Spec: corev1.PodSpec{
					Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
					NodeSelector:                  map[string]string{"kubernetes.io/os": "linux"},
					AutomountServiceAccountToken:  &no,
					EnableServiceLinks:            &no,
					TerminationGracePeriodSeconds: &grace,
					Volumes:                       vols,
					InitContainers: []corev1.Container{{
						Name: "install", Image: image, ImagePullPolicy: corev1.PullIfNotPresent,
						Command: []string{"sh", "-c", installScript}, Env: env, VolumeMounts: mounts, SecurityContext: sc,
					}},
					Containers: []corev1.Container{{
						Name: "hold", Image: image, ImagePullPolicy: corev1.PullIfNotPresent,
						Command: []string{"sh", "-c", holdScript}, Env: env, VolumeMounts: mounts, SecurityContext: sc,
					}},
				},
			},
		},
	}
}

// install puts the files (from profileFiles) on every node and waits
// until every node's installer reported. With the Security Profiles
// Operator writing the seccomp files, seccomp is empty.
func install(ctx context.Context, cs kubernetes.Interface, seccomp, apparmor map[string][]byte, ns, runID, image, seccompRoot string, timeout time.Duration, logf func(string, ...any)) (*installation, error) {
	inst := &installation{Dir: "secprof-" + runID, AppArmor: map[string]string{}, Files: len(seccomp)}
	scm, sitems := configMap(ns, installerName+"-seccomp", runID, seccomp)
	acm, aitems := configMap(ns, installerName+"-apparmor", runID, apparmor)
	for _, cm := range []*corev1.ConfigMap{scm, acm} {
		if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			return inst, fmt.Errorf("creating ConfigMap %s: %w", cm.Name, err)
		}
	}
	ds := installerDaemonSet(ns, runID, image, seccompRoot, inst.Dir, sitems, aitems)
	if _, err := cs.AppsV1().DaemonSets(ns).Create(ctx, ds, metav1.CreateOptions{}); err != nil {
		return inst, fmt.Errorf("creating the profile installer DaemonSet: %w", err)
	}
	sel := labels.SelectorFromSet(ds.Spec.Selector.MatchLabels).String()
	start := time.Now()
	var pods []corev1.Pod
	err := wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		cur, err := cs.AppsV1().DaemonSets(ns).Get(ctx, installerName, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			return false, err
		}
		for _, p := range list.Items {
			if msg := installerFailure(p); msg != "" {
				return false, fmt.Errorf("profile installer on node %s: %s%s", p.Spec.NodeName, msg, installerLog(ctx, cs, p))
			}
		}
		st := cur.Status
		if st.ObservedGeneration < cur.Generation || st.DesiredNumberScheduled == 0 || st.NumberReady < st.DesiredNumberScheduled {
			return false, nil
		}
		pods = list.Items
		return true, nil
	})
	if err != nil {
		return inst, fmt.Errorf("installing the profiles on the nodes: %w", err)
	}
	for _, p := range pods {
		line := strings.TrimSpace(installerLog(ctx, cs, p))
		m := reportRE.FindStringSubmatch(line)
		if m == nil {
			return inst, fmt.Errorf("profile installer on node %s did not report: %q", p.Spec.NodeName, line)
		}
		inst.AppArmor[m[1]] = m[2]
	}
	logf("cluster: profiles installed on %d node(s) under %s/%s in %s", len(pods), seccompRoot, inst.Dir, time.Since(start).Round(time.Millisecond))
	return inst, nil
}

var reportRE = regexp.MustCompile(`secprof-installer node=(\S+) seccomp=\d+ apparmor=(enabled|disabled)`)

// installerFailure describes an installer pod that will not get ready.
func installerFailure(p corev1.Pod) string {
	for _, st := range append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		if t := st.State.Terminated; t != nil && t.ExitCode != 0 {
			return fmt.Sprintf("container %s: %s (exit code %d) %s", st.Name, t.Reason, t.ExitCode, t.Message)
		}
		if t := st.LastTerminationState.Terminated; t != nil && t.ExitCode != 0 {
			return fmt.Sprintf("container %s: %s (exit code %d) %s", st.Name, t.Reason, t.ExitCode, t.Message)
		}
		if w := st.State.Waiting; w != nil {
			switch w.Reason {
			case "", harness.ReasonContainerCreating, harness.ReasonPodInitializing:
			default:
				return fmt.Sprintf("container %s: %s: %s", st.Name, w.Reason, w.Message)
			}
		}
	}
	return ""
}

// installerLog is the install container's last log line(s).
func installerLog(ctx context.Context, cs kubernetes.Interface, p corev1.Pod) string {
	tail := int64(5)
	b, err := cs.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: "install", TailLines: &tail}).DoRaw(ctx)
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return ""
	}
	return "\n" + s
}

// uninstall deletes the installer and waits until its pods are gone, which
// is when their clean-up (removing the files, unloading AppArmor profiles)
// has run.
func uninstall(ctx context.Context, cs kubernetes.Interface, ns, runID string) error {
	bg := metav1.DeletePropagationBackground
	err := cs.AppsV1().DaemonSets(ns).Delete(ctx, installerName, metav1.DeleteOptions{PropagationPolicy: &bg})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting the profile installer: %w", err)
	}
	sel := labels.SelectorFromSet(map[string]string{kube.LabelRun: runID, "app.kubernetes.io/name": installerName}).String()
	err = wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			return false, err
		}
		return len(list.Items) == 0, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the profile installer to clean up: %w", err)
	}
	for _, name := range []string{installerName + "-seccomp", installerName + "-apparmor"} {
		if err := cs.CoreV1().ConfigMaps(ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
