package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/secprof/secprof/harness"
	"github.com/secprof/secprof/harness/probe"
	"github.com/testcontainers/testcontainers-go"
)

// probeInImage is where images built for secprof (hack/build-images.sh)
// keep the probe.
const probeInImage = "/probe"

// probeCopied is where the plan's probe build is copied into a container.
const probeCopied = "/.secprof-probe"

var baselines atomic.Int64

// Probe runs the probe inside the workload's container with `docker exec`,
// so the engine confines it with the container's own seccomp and AppArmor
// profiles. When syscalls are to be tried it also runs the probe once in
// a throw-away container of the same image, user and capabilities but
// without the profiles, so that a call failing the same way anyway (EPERM
// for lack of a capability) is not taken for denied.
func (in *instance) Probe(ctx context.Context, syscalls []string) (*probe.Report, error) {
	if err := in.running(); err != nil {
		return nil, err
	}
	path, src, err := in.probeBinary(ctx)
	if err != nil {
		return nil, err
	}
	argv := []string{path}
	if len(syscalls) > 0 {
		argv = append(argv, "-syscalls", strings.Join(syscalls, ","))
	}
	var out, errb harness.LimitedBuffer
	out.Max, errb.Max = harness.MaxExecOutput, 64<<10
	code, err := in.b.exec(ctx, in.ctr.GetContainerID(), argv, &out, &errb)
	if err != nil {
		return nil, err
	}
	rep, err := parseReport(code, out.Bytes(), errb.String(), "in the workload's container")
	if err != nil {
		return nil, err
	}
	if len(syscalls) > 0 {
		base, err := in.baseline(ctx, argv, src)
		if err != nil {
			return nil, fmt.Errorf("baseline probe: %w", err)
		}
		probe.Compare(rep, base)
	}
	return rep, nil
}

func parseReport(code int, out []byte, stderr, where string) (*probe.Report, error) {
	if code != 0 {
		// 126/127: the engine could not even start it (the profile may
		// deny what runc needs for exec); the reason is in the output.
		msg := strings.TrimSpace(stderr)
		if msg == "" {
			msg = strings.TrimSpace(string(out))
		}
		return nil, fmt.Errorf("the probe failed %s (exit code %d): %s", where, code, msg)
	}
	var rep probe.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		return nil, fmt.Errorf("the probe's output %s is not a report: %v", where, err)
	}
	return &rep, nil
}

// probeBinary finds the probe for this container: the plan's probe build
// (copied in), else the probe the image carries. src is the binary on
// this machine when it was copied.
func (in *instance) probeBinary(ctx context.Context) (path, src string, err error) {
	in.probeMu.Lock()
	defer in.probeMu.Unlock()
	if in.probePath != "" {
		return in.probePath, in.probeSrc, nil
	}
	b := in.b
	if b.plan.Probe != "" {
		if b.cfg.Builds == nil {
			return "", "", errors.New("the plan's probe cannot be built: no builder")
		}
		bin, err := b.cfg.Builds.Binary(ctx, b.plan.Probe)
		if err != nil {
			return "", "", fmt.Errorf("building the probe: %w", err)
		}
		if err := in.ctr.CopyFileToContainer(ctx, bin, probeCopied, 0o755); err != nil {
			return "", "", fmt.Errorf("copying the probe into the container: %w", err)
		}
		in.probePath, in.probeSrc = probeCopied, bin
		return in.probePath, in.probeSrc, nil
	}
	st, err := b.cli.ContainerStatPath(ctx, in.ctr.GetContainerID(), probeInImage)
	if err != nil || !(st.Mode.IsRegular() || st.LinkTarget != "") {
		return "", "", fmt.Errorf("syscalls, seccompMode and apparmorLabel checks need the probe: the image %s has no %s; name a probe build in the plan (probe: an images: entry building fixtures/workloads/probe)", in.s.image, probeInImage)
	}
	in.probePath = probeInImage
	return in.probePath, "", nil
}

// baseline runs argv in a new container of the case's image with the
// case's user, capabilities and no_new_privs, but seccomp and AppArmor
// unconfined and no network.
func (in *instance) baseline(ctx context.Context, argv []string, src string) (*probe.Report, error) {
	b := in.b
	labels := b.labels()
	labels[LabelCase] = in.c.Name
	nnp := false
	for _, o := range in.s.secOpts {
		nnp = nnp || o == "no-new-privileges"
	}
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithLogger(tcLogger{b.logf}),
		testcontainers.WithNoStart(),
		testcontainers.WithName(fmt.Sprintf("secprof-%s-%d-baseline-%d", b.runID, in.c.Index, baselines.Add(1))),
		testcontainers.WithLabels(labels),
		testcontainers.WithEnv(in.s.env),
		testcontainers.WithEntrypoint(argv...),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.NetworkMode = "none"
			hc.SecurityOpt = []string{"seccomp=unconfined"}
			if b.apparmor {
				hc.SecurityOpt = append(hc.SecurityOpt, "apparmor=unconfined")
			}
			if nnp {
				hc.SecurityOpt = append(hc.SecurityOpt, "no-new-privileges")
			}
			hc.CapAdd = append(hc.CapAdd, in.s.capAdd...)
			hc.CapDrop = append(hc.CapDrop, in.s.capDrop...)
		}),
		testcontainers.WithAdditionalLifecycleHooks(testcontainers.ContainerLifecycleHooks{
			PostCreates: []testcontainers.ContainerHook{func(_ context.Context, ctr testcontainers.Container) error {
				b.track(ctr)
				return nil
			}},
		}),
	}
	if src != "" {
		opts = append(opts, testcontainers.WithFiles(testcontainers.ContainerFile{HostFilePath: src, ContainerFilePath: argv[0], FileMode: 0o755}))
	}
	ctr, err := b.create(ctx, in.s.image, opts)
	if err != nil {
		return nil, err
	}
	defer b.terminate(context.WithoutCancel(ctx), ctr)
	id := ctr.GetContainerID()
	if err := ctr.Start(ctx); err != nil {
		return nil, fmt.Errorf("%s", b.startMessage(ctx, id, err))
	}
	waitc, errc := b.cli.ContainerWait(ctx, id, container.WaitConditionNotRunning)
	var code int64
	select {
	case w := <-waitc:
		code = w.StatusCode
	case err := <-errc:
		return nil, err
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	rc, err := b.cli.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var out, errb harness.LimitedBuffer
	out.Max, errb.Max = harness.MaxExecOutput, 64<<10
	if _, err := stdcopy.StdCopy(&out, &errb, rc); err != nil {
		return nil, err
	}
	return parseReport(int(code), out.Bytes(), errb.String(), "without the profiles")
}

var (
	_ harness.Backend  = (*Backend)(nil)
	_ harness.Instance = (*instance)(nil)
)
