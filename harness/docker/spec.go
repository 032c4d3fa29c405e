package docker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/secprof/secprof/harness"
)

// maxProfileSize bounds a seccomp profile read for the engine.
const maxProfileSize = 8 << 20

// spec is a case resolved for the engine.
type spec struct {
	image      string
	entrypoint []string // nil: the image's
	cmd        []string // nil: the image's (only when entrypoint is nil)
	env        map[string]string
	secOpts    []string
	capAdd     []string
	capDrop    []string
	ports      []int
	restart    container.RestartPolicyMode
	// early is the deciding observation when the case is refused before
	// any container exists (kubelet admission, a profile that cannot be
	// loaded).
	early *harness.Observation
	// notes are shown with the result.
	notes []string
}

// resolve turns a case into what to ask the engine for, in the order
// kubelet and the runtime check things: AppArmor admission, the image,
// then the profiles the runtime loads when it creates the container.
// Errors made by harness.Skip mean the case cannot be honoured here; any
// other error is an infrastructure failure.
func (b *Backend) resolve(ctx context.Context, c *harness.Case) (*spec, error) {
	if c.Workload == nil {
		return nil, harness.Skip("a Pod manifest (pod:) needs a Kubernetes backend (kind, cluster)")
	}
	w := c.Workload
	if w.Image == "" {
		return nil, harness.Skip("the docker backend runs images: give workload.image (or build one in images:)")
	}
	s := &spec{env: w.Env, capAdd: w.Capabilities.Add, capDrop: w.Capabilities.Drop, restart: restartPolicy(w.RestartPolicy)}

	// kubelet refuses a pod whose AppArmor profile it cannot enforce
	// before anything is pulled or created. dockerd would instead run the
	// container unconfined; the harness reports what a cluster does.
	switch c.AppArmorRef.Kind {
	case harness.AppArmorLocalhost, harness.AppArmorRuntimeDefault:
		if !b.apparmor {
			o := harness.Rejected(harness.ReasonAppArmor, "Cannot enforce AppArmor: AppArmor is not enabled on the host")
			s.early = &o
			s.notes = append(s.notes, "dockerd itself ignores apparmor= on a host without AppArmor and would run this container unconfined")
			return s, nil
		}
	}

	ref, err := b.image(ctx, w.Image)
	if err != nil {
		return nil, err
	}
	s.image = ref
	if len(w.Command) > 0 {
		// Kubernetes semantics: command replaces the entrypoint, args
		// replace the image's command.
		s.entrypoint = append([]string(nil), w.Command...)
		s.cmd = append([]string(nil), w.Args...)
	} else if len(w.Args) > 0 {
		s.cmd = append([]string(nil), w.Args...)
	}

	switch c.AppArmorRef.Kind {
	case harness.AppArmorLocalhost:
		name := c.AppArmorRef.Name
		if b.local {
			if found, known := b.aa.Loaded(name); known && !found {
				o := harness.CreateFailed("failed to generate apparmor spec opts: apparmor profile not found " + name)
				s.early = &o
				return s, nil
			}
		}
		s.secOpts = append(s.secOpts, "apparmor="+name)
	case harness.AppArmorUnconfined:
		if b.apparmor {
			s.secOpts = append(s.secOpts, "apparmor=unconfined")
		}
	}
	// RuntimeDefault and unset: dockerd applies docker-default.

	switch c.SeccompRef.Kind {
	case harness.SeccompLocalhost:
		opt, early := seccompOpt(c.SeccompRef)
		if early != nil {
			s.early = early
			return s, nil
		}
		s.secOpts = append(s.secOpts, opt)
	case harness.SeccompUnconfined:
		s.secOpts = append(s.secOpts, "seccomp=unconfined")
	}
	// RuntimeDefault and unset: Docker's default profile.

	if w.AllowPrivilegeEscalation == nil || !*w.AllowPrivilegeEscalation {
		s.secOpts = append(s.secOpts, "no-new-privileges")
	}
	s.ports = casePorts(c)
	return s, nil
}

// seccompOpt reads a Localhost profile the way the docker CLI does for
// --security-opt seccomp=FILE (read, then compact the JSON) and returns
// the option, or the CreateContainerError a runtime reports for a profile
// it cannot load.
func seccompOpt(ref harness.SeccompRef) (string, *harness.Observation) {
	fail := func(msg string) (string, *harness.Observation) {
		o := harness.CreateFailed(fmt.Sprintf("failed to generate seccomp spec opts: cannot load seccomp profile %q: %s", ref.File, msg))
		return "", &o
	}
	if ref.Missing {
		return fail(fmt.Sprintf("open %s: no such file or directory", ref.File))
	}
	f, err := os.Open(ref.File)
	if err != nil {
		return fail(err.Error())
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxProfileSize+1))
	if err != nil {
		return fail(err.Error())
	}
	if len(raw) > maxProfileSize {
		return fail(fmt.Sprintf("the profile is larger than %d bytes", maxProfileSize))
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return fail("decoding seccomp profile failed: " + err.Error())
	}
	return "seccomp=" + buf.String(), nil
}

func restartPolicy(p string) container.RestartPolicyMode {
	switch p {
	case "Never":
		return container.RestartPolicyDisabled
	case "OnFailure":
		return container.RestartPolicyOnFailure
	}
	return container.RestartPolicyAlways
}

// casePorts are the ports to publish: the workload's, plus every port an
// HTTP check of the case (in any when: rule) asks for, so that a plan
// written for the local backend, where every port is reachable, works.
func casePorts(c *harness.Case) []int {
	set := map[int]bool{}
	for _, p := range c.Workload.Ports {
		set[p] = true
	}
	add := func(e harness.Expect) {
		for _, h := range e.HTTP {
			set[h.Port] = true
		}
	}
	add(c.Expect)
	for _, w := range c.When {
		add(w.Expect)
	}
	out := make([]int, 0, len(set))
	for p := range set {
		if p > 0 && p < 65536 {
			out = append(out, p)
		}
	}
	sort.Ints(out)
	return out
}

// startOutcome turns the engine's answer to a failed start into an
// observation. dockerd generates the OCI spec (and decodes the seccomp
// profile) at start, where containerd does it when the container is
// created: those failures are CreateContainerError, as on a cluster.
// Everything the OCI runtime reports — runc failing to exec the process
// under the filter ("cannot start a stopped process"), an action runc
// does not know — is a StartError (exit code 128), CrashLoopBackOff on a
// cluster.
func startOutcome(msg string) harness.Observation {
	switch {
	case strings.Contains(msg, "Decoding seccomp profile failed"),
		strings.Contains(msg, "loading seccomp profile"),
		strings.Contains(msg, "apparmor failed to apply profile"),
		strings.Contains(msg, "AppArmor enabled on system but the") && strings.Contains(msg, "profile could not be loaded"):
		return harness.CreateFailed(msg)
	}
	return harness.StartFailed(msg)
}
