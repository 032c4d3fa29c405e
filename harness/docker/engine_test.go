package docker

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
)

// repo is the repository root, where the fixtures and hack/ live.
const repo = "../.."

var (
	engineOnce sync.Once
	engineSkip string
	engineErr  error
)

// requireEngine makes sure a Docker engine answers, starting the private
// dockerd through hack/docker-up.sh when none does (as `make test` does
// through hack/e2e-env.sh). It skips only where no engine answers and none
// can be started (not root, or no dockerd), and never when CI=true.
func requireEngine(t testing.TB) {
	t.Helper()
	engineOnce.Do(startEngine)
	if engineSkip != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true, and the docker end-to-end tests cannot run: %s", engineSkip)
		}
		t.Skip(engineSkip)
	}
	if engineErr != nil {
		t.Fatal(engineErr)
	}
}

func startEngine() {
	host, src := EngineHost()
	cli, err := ping(context.Background(), host, src)
	if err == nil {
		cli.Close()
		return
	}
	_, lookErr := exec.LookPath("dockerd")
	if os.Geteuid() != 0 || lookErr != nil {
		engineSkip = fmt.Sprintf("%v; and no engine can be started here: hack/docker-up.sh needs root and dockerd (Debian's docker.io)", err)
		return
	}
	var stderr bytes.Buffer
	cmd := exec.Command(filepath.Join(repo, "hack/docker-up.sh"))
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		engineErr = fmt.Errorf("hack/docker-up.sh: %v\n%s", err, stderr.String())
		return
	}
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "export DOCKER_HOST="); ok {
			os.Setenv("DOCKER_HOST", v)
		}
	}
	host, src = EngineHost()
	if cli, err = ping(context.Background(), host, src); err != nil {
		engineErr = fmt.Errorf("hack/docker-up.sh ran, but: %w", err)
		return
	}
	cli.Close()
}

var (
	imagesOnce sync.Once
	imagesErr  error
)

// requireImages also imports the fixture images (secprof/http-echo:dev,
// secprof/probe:dev, secprof/busybox:dev) with hack/build-images.sh,
// which is idempotent.
func requireImages(t testing.TB) {
	t.Helper()
	requireEngine(t)
	imagesOnce.Do(func() {
		var stderr bytes.Buffer
		cmd := exec.Command(filepath.Join(repo, "hack/build-images.sh"))
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			imagesErr = fmt.Errorf("hack/build-images.sh: %v\n%s", err, stderr.String())
		}
	})
	if imagesErr != nil {
		t.Fatal(imagesErr)
	}
}

// rawClient is a client of the engine requireEngine found.
func rawClient(t testing.TB) *client.Client {
	t.Helper()
	host, src := EngineHost()
	cli, err := ping(context.Background(), host, src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// leftovers lists the containers and networks a label filter matches.
func leftovers(t testing.TB, cli *client.Client, f filters.Args) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []string
	cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		out = append(out, fmt.Sprintf("container %s %v (%s)", c.ID[:12], c.Names, c.State))
	}
	ns, err := cli.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		out = append(out, "network "+n.Name)
	}
	return out
}

// ours matches everything this test process made.
func ours() filters.Args {
	host, _ := os.Hostname()
	return filters.NewArgs(filters.Arg("label", LabelPID+"="+strconv.Itoa(os.Getpid())), filters.Arg("label", LabelHost+"="+host))
}

// assertClean fails the test when anything this process made is left.
func assertClean(t testing.TB, cli *client.Client) {
	t.Helper()
	if left := leftovers(t, cli, ours()); len(left) > 0 {
		t.Errorf("left behind after the run:\n%s", strings.Join(left, "\n"))
	}
}
