package kind

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// The kind library drives the docker CLI (honouring DOCKER_HOST); the
// backend uses the same CLI for the few things kind's API does not cover.

// docker runs the docker CLI and returns its stdout.
func docker(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return stdout.String(), fmt.Errorf("docker %s: %s", strings.Join(args, " "), msg)
	}
	return stdout.String(), nil
}

// dockerReachable checks the engine before anything is created, so that
// a daemon that is down is an infrastructure error with a clear message.
func dockerReachable(ctx context.Context) error {
	if _, err := exec.LookPath("docker"); err != nil {
		return errors.New("the kind backend needs the docker command (Debian package docker.io)")
	}
	if _, err := docker(ctx, "version", "--format", "{{.Server.Version}}"); err != nil {
		return fmt.Errorf("cannot reach the Docker engine (is dockerd running? DOCKER_HOST set?): %w", err)
	}
	return nil
}

// imageID returns the local image's ID, "" when the engine does not have it.
func imageID(ctx context.Context, image string) string {
	out, err := docker(ctx, "image", "inspect", "--format", "{{.Id}}", image)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

// NodeImageFacts are what the backend reads from a node image.
type NodeImageFacts struct {
	// Version is /kind/version ("v1.34.2"); Minor its minor (0 unknown).
	Version string
	Minor   int
	// Offline tells the image has no /kind/manifests/default-cni.yaml:
	// kind cannot install its CNI (kindnet) and the image brings its own
	// network configuration (see hack/build-node-image.sh).
	Offline bool
}

// nodeImageFacts reads the facts from the image's files without running
// it: docker create, docker cp, docker rm.
func nodeImageFacts(ctx context.Context, image string) (NodeImageFacts, error) {
	var f NodeImageFacts
	out, err := docker(ctx, "create", "--label", "app.kubernetes.io/managed-by=secprof", image)
	if err != nil {
		return f, err
	}
	id := strings.TrimSpace(out)
	defer docker(context.WithoutCancel(ctx), "rm", "-f", "-v", id)
	if b, err := copyOut(ctx, id, "/kind/version"); err == nil {
		f.Version = strings.TrimSpace(string(b))
		f.Minor = minorOf(f.Version)
	}
	if _, err := copyOut(ctx, id, "/kind/manifests/default-cni.yaml"); err != nil {
		f.Offline = true
	}
	return f, nil
}

// copyOut reads one small file of a container (docker cp writes a tar).
func copyOut(ctx context.Context, id, file string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "docker", "cp", id+":"+file, "-")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("docker cp %s: %s", file, strings.TrimSpace(stderr.String()))
	}
	tr := tar.NewReader(&stdout)
	for {
		h, err := tr.Next()
		if err != nil {
			return nil, fmt.Errorf("docker cp %s: %v", file, err)
		}
		if h.Typeflag == tar.TypeReg {
			return io.ReadAll(io.LimitReader(tr, 1<<20))
		}
	}
}

func minorOf(v string) int {
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	if len(parts) < 2 {
		return 0
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil {
		return 0
	}
	return n
}

// containerMounts returns a container's bind mounts, destination → source.
func containerMounts(ctx context.Context, name string) (map[string]string, error) {
	out, err := docker(ctx, "inspect", "--format", "{{json .Mounts}}", name)
	if err != nil {
		return nil, err
	}
	var ms []struct {
		Type        string
		Source      string
		Destination string
	}
	if err := json.Unmarshal([]byte(out), &ms); err != nil {
		return nil, fmt.Errorf("docker inspect %s: %v", name, err)
	}
	m := map[string]string{}
	for _, x := range ms {
		if x.Type == "bind" {
			m[x.Destination] = x.Source
		}
	}
	return m, nil
}

// networkExists tells whether the docker network exists.
func networkExists(ctx context.Context, name string) bool {
	_, err := docker(ctx, "network", "inspect", "--format", "{{.Name}}", name)
	return err == nil
}

// removeNetworkIfUnused removes a network no container uses any more.
func removeNetworkIfUnused(ctx context.Context, name string) error {
	out, err := docker(ctx, "network", "inspect", "--format", "{{len .Containers}}", name)
	if err != nil {
		return nil // gone already
	}
	if strings.TrimSpace(out) != "0" {
		return nil
	}
	if _, err := docker(ctx, "network", "rm", name); err != nil && !strings.Contains(err.Error(), "not found") && !strings.Contains(err.Error(), "active endpoints") {
		return err
	}
	return nil
}

// clusterContainers lists the containers (running or not) of a kind
// cluster by kind's label.
func clusterContainers(ctx context.Context, name string) []string {
	out, err := docker(ctx, "ps", "-a", "-q", "--filter", "label=io.x-k8s.kind.cluster="+name)
	if err != nil {
		return nil
	}
	return strings.Fields(out)
}

// thawContainer thaws the frozen cgroups under a container's cgroup and
// returns how many it thawed. runc freezes a container's cgroup while it
// sets device rules (cgroup v1 with the systemd driver, as in kind
// nodes); a node killed at that moment keeps a frozen pod cgroup whose
// processes cannot die, and docker cannot remove the node ("tried to kill
// container, but did not receive an exit event"). Only cgroups whose path
// names the container's full ID are touched, and only where the engine
// runs on this machine (its PIDs are ours).
func thawContainer(ctx context.Context, id string) (int, error) {
	out, err := docker(ctx, "inspect", "--format", "{{.Id}} {{.State.Pid}}", id)
	if err != nil {
		return 0, err
	}
	f := strings.Fields(out)
	if len(f) != 2 || f[1] == "0" {
		return 0, nil
	}
	full := f[0]
	if _, err := os.Stat("/proc/" + f[1]); err != nil {
		return 0, nil // not a local engine
	}
	// The container's cgroups: where its init's /proc entry says, and
	// where the engine's drivers put them — a node already being killed
	// shows "/" there for cgroup v1 (seen with a kind node whose pid 1 was
	// waiting for a frozen pod's processes to die).
	type tree struct{ base, file, frozen, thawed string }
	seen := map[string]bool{}
	var trees []tree
	add := func(base, file, frozen, thawed string) {
		if !seen[base] && strings.Contains(base, full) {
			seen[base] = true
			trees = append(trees, tree{base, file, frozen, thawed})
		}
	}
	if b, err := os.ReadFile("/proc/" + f[1] + "/cgroup"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			parts := strings.SplitN(line, ":", 3)
			if len(parts) != 3 {
				continue
			}
			switch {
			case parts[1] == "freezer":
				add(filepath.Join("/sys/fs/cgroup/freezer", parts[2]), "freezer.state", "FROZEN", "THAWED")
			case parts[0] == "0" && parts[1] == "":
				add(filepath.Join("/sys/fs/cgroup", parts[2]), "cgroup.freeze", "1", "0")
			}
		}
	}
	for _, pat := range []string{"%s/*/" + full, "%s/*/docker-" + full + ".scope", "%s/" + full} {
		v1, _ := filepath.Glob(fmt.Sprintf(pat, "/sys/fs/cgroup/freezer"))
		for _, m := range v1 {
			add(m, "freezer.state", "FROZEN", "THAWED")
		}
		if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
			v2, _ := filepath.Glob(fmt.Sprintf(pat, "/sys/fs/cgroup"))
			for _, m := range v2 {
				add(m, "cgroup.freeze", "1", "0")
			}
		}
	}
	n := 0
	for _, t := range trees {
		_ = filepath.WalkDir(t.base, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != t.file {
				return nil
			}
			// cgroup v1 also reports FREEZING for a freeze that is stuck
			// on a task; it needs thawing just the same.
			if s, err := os.ReadFile(p); err == nil && (strings.TrimSpace(string(s)) == t.frozen || strings.TrimSpace(string(s)) == "FREEZING") {
				if os.WriteFile(p, []byte(t.thawed), 0o644) == nil {
					n++
				}
			}
			return nil
		})
	}
	return n, nil
}
