package kind

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestThawFrozenContainer freezes a real container's cgroup, as runc
// leaves a pod's cgroup when a kind node is killed while runc sets device
// rules, and checks that docker cannot remove it until thawContainer ran.
func TestThawFrozenContainer(t *testing.T) {
	if os.Getenv(EnvNodeImage) == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: in CI the offline kind environment must be built before the tests", EnvNodeImage)
		}
		t.Skipf("%s is not set: run `make e2e-env` and `. .e2e/env` to run the Docker tests", EnvNodeImage)
	}
	image := os.Getenv("SECPROF_BUSYBOX_IMAGE")
	if image == "" {
		image = "secprof/busybox:dev"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := docker(ctx, "run", "-d", "--label", "app.kubernetes.io/managed-by=secprof", image, "sleep", "600")
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(out)
	t.Cleanup(func() {
		_, _ = thawContainer(context.Background(), id)
		_, _ = docker(context.Background(), "rm", "-f", "-v", id)
	})
	pid, err := docker(ctx, "inspect", "--format", "{{.State.Pid}}", id)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/" + strings.TrimSpace(pid) + "/cgroup")
	if err != nil {
		t.Skipf("the Docker engine does not run on this machine: %v", err)
	}
	// The container's process goes into a child cgroup that is frozen on
	// its own, like a pod's cgroup inside a node: runc's kill thaws the
	// container's own cgroup, not the ones below it.
	frozen := ""
	p := strings.TrimSpace(pid)
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		var dir, file, value string
		switch {
		case len(parts) != 3:
			continue
		case parts[1] == "freezer":
			dir, file, value = filepath.Join("/sys/fs/cgroup/freezer", parts[2], "pod"), "freezer.state", "FROZEN"
		case parts[0] == "0" && parts[1] == "" && frozen == "":
			dir, file, value = filepath.Join("/sys/fs/cgroup", parts[2], "pod"), "cgroup.freeze", "1"
		default:
			continue
		}
		if err = os.Mkdir(dir, 0o755); err == nil {
			if err = os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(p), 0o644); err == nil {
				if err = os.WriteFile(filepath.Join(dir, file), []byte(value), 0o644); err == nil {
					frozen = filepath.Join(dir, file)
				}
			}
		}
	}
	if frozen == "" {
		t.Skipf("cannot freeze a cgroup below the container's here: %v", err)
	}
	// Docker's kill is never confirmed while the cgroup is frozen.
	if _, err := docker(ctx, "rm", "-f", "-v", id); err == nil {
		t.Fatal("docker removed a container in a frozen cgroup: the test does not reproduce the problem")
	}
	n, err := thawContainer(ctx, id)
	if err != nil || n == 0 {
		t.Fatalf("thawContainer: %d thawed, %v", n, err)
	}
	if _, err := docker(ctx, "rm", "-f", "-v", id); err != nil {
		t.Fatalf("after thawing: %v", err)
	}
}
