package kind

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	libseccomp "github.com/seccomp/libseccomp-golang"
	corev1 "k8s.io/api/core/v1"

	"github.com/secprof/secprof/harness"
	"github.com/secprof/secprof/harness/kube"
)

// explainDir is where the backend writes the profiles of explanation
// runs, under the node's seccomp root (a hidden name: never one of the
// plan's mounts).
const explainDir = ".secprof-explain"

// maxProfile bounds a profile read for an explanation.
const maxProfile = 4 << 20

// Explain re-runs case c with a copy of its seccomp profile in which every
// denying action logs instead (SCMP_ACT_LOG) and every logging action
// allows, and reads the kernel's seccomp audit records (type=1326 …
// syscall=N) of the pod's processes: a kind node is a container, so its
// pods' records are in this machine's kernel log. The syscall numbers are
// named with libseccomp. The kernel rate-limits these records, so a
// profile that denies very many calls may not have them all named.
func (b *Backend) Explain(ctx context.Context, c *harness.Case) (*harness.Explanation, error) {
	b.mu.Lock()
	r := b.runner
	b.mu.Unlock()
	if r == nil {
		return nil, errors.New("the kind backend is not prepared")
	}
	ref := c.SeccompRef
	if ref.Kind != harness.SeccompLocalhost || ref.Missing {
		return nil, harness.Skip("nothing ran under a Localhost seccomp profile")
	}
	raw, err := readBounded(ref.File, maxProfile)
	if err != nil {
		return nil, err
	}
	logging, err := LoggingProfile(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref.File, err)
	}
	ns, err := b.provider.ListInternalNodes(b.name)
	if err != nil {
		return nil, err
	}
	id := kube.RandomID(10)
	rel := path.Join(explainDir, id+".json")
	dest := path.Join(KubeletSeccompRoot, rel)
	for _, n := range ns {
		cmd := n.Command("sh", "-c", `mkdir -p "$(dirname "$1")" && cat >"$1"`, "sh", dest).SetStdin(strings.NewReader(string(logging)))
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("writing %s on node %s: %w", dest, n.String(), err)
		}
	}
	defer func() {
		for _, n := range ns {
			_ = n.Command("rm", "-f", dest).Run()
		}
	}()

	kmsg, err := openKmsg()
	if err != nil {
		return nil, fmt.Errorf("reading the kernel log (needs root on the machine that runs the kind nodes): %w", err)
	}
	defer syscall.Close(kmsg)

	cc := *c
	cc.Name = c.Name + " (explain)"
	cc.SeccompRef = harness.SeccompRef{Kind: harness.SeccompLocalhost, Path: rel, File: ref.File}
	inst, err := r.Start(ctx, &cc, "")
	if err != nil {
		return nil, err
	}
	defer inst.Stop(context.WithoutCancel(ctx))
	pi, ok := inst.(interface{ Pod() *corev1.Pod })
	if !ok {
		return nil, errors.New("the runner's instance does not name its pod")
	}
	pod := pi.Pod()

	stable := c.StableFor.D()
	if stable == 0 {
		stable = b.plan.StableFor.D()
	}
	pids := map[int]bool{}
	deadline := time.Now().Add(stable + kube.DefaultExitLag + 2*time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	obs := inst.Observations()
	exercised := false
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case o, ok := <-obs:
			if !ok {
				obs = nil
				continue
			}
			if o.Kind == harness.ObsRunning && !exercised {
				exercised = true
				go exercise(ctx, inst, c.Expect.HTTP)
			}
		case <-tick.C:
			for _, p := range podPIDs(string(pod.UID)) {
				pids[p] = true
			}
		}
	}
	// The kernel stores log records a moment after they are made.
	time.Sleep(500 * time.Millisecond)
	recs, suppressed := readSeccompRecords(kmsg)
	e := &harness.Explanation{Source: "the kernel's seccomp audit records (type=1326) of a re-run on kind with the profile's denials logged instead"}
	seen := map[string]bool{}
	n := 0
	for _, rec := range recs {
		if !pids[rec.pid] {
			continue
		}
		n++
		name := syscallName(rec.arch, rec.nr)
		if !seen[name] {
			seen[name] = true
			e.Denied = append(e.Denied, name)
		}
	}
	e.Detail = append(e.Detail, fmt.Sprintf("%d audit records from %d process(es) of the pod", n, len(pids)))
	if suppressed > 0 {
		e.Detail = append(e.Detail, fmt.Sprintf("the kernel suppressed %d log messages (rate limit): the list may be incomplete", suppressed))
	}
	return e, nil
}

// exercise makes the requests the case's HTTP checks make, so that the
// syscalls the server makes while serving are seen too.
func exercise(ctx context.Context, inst harness.Instance, checks harness.HTTPChecks) {
	client := &http.Client{Timeout: 3 * time.Second}
	for _, h := range checks {
		addr, err := inst.Address(ctx, h.Port)
		if err != nil {
			continue
		}
		p := h.Path
		if p == "" {
			p = "/"
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+p, nil)
		if err != nil {
			continue
		}
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
		}
	}
}

// LoggingProfile turns an OCI seccomp profile into one that logs what the
// original denies and allows what it logs or allows, so that the kernel's
// audit records name exactly the calls the original denies.
func LoggingProfile(raw []byte) ([]byte, error) {
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("not an OCI seccomp profile (JSON): %v", err)
	}
	conv := func(a any) (string, error) {
		s, ok := a.(string)
		if !ok {
			return "", fmt.Errorf("action %v is not a string", a)
		}
		switch s {
		case "SCMP_ACT_ALLOW", "SCMP_ACT_LOG":
			return "SCMP_ACT_ALLOW", nil
		case "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE", "SCMP_ACT_NOTIFY":
			return "SCMP_ACT_LOG", nil
		}
		return "", fmt.Errorf("unknown action %q", s)
	}
	da, ok := p["defaultAction"]
	if !ok {
		return nil, errors.New("no defaultAction")
	}
	d, err := conv(da)
	if err != nil {
		return nil, err
	}
	p["defaultAction"] = d
	delete(p, "defaultErrnoRet")
	delete(p, "listenerPath")
	delete(p, "listenerMetadata")
	if rules, ok := p["syscalls"].([]any); ok {
		for _, r := range rules {
			rm, ok := r.(map[string]any)
			if !ok {
				return nil, errors.New("a syscalls entry is not an object")
			}
			a, err := conv(rm["action"])
			if err != nil {
				return nil, err
			}
			rm["action"] = a
			delete(rm, "errnoRet")
		}
	}
	return json.Marshal(p)
}

func readBounded(file string, max int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: more than %d bytes", file, max)
	}
	return b, nil
}

// openKmsg opens the kernel log at its end, for reads that do not block.
// The descriptor is used with read(2) directly: an os.File would hand it
// to the runtime's poller, whose reads wait for new records.
func openKmsg() (int, error) {
	fd, err := syscall.Open("/dev/kmsg", syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if _, err := syscall.Seek(fd, 0, io.SeekEnd); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

// seccompRecord is one type=1326 record.
type seccompRecord struct {
	pid  int
	arch uint32
	nr   int
}

var (
	recordRE     = regexp.MustCompile(`type=1326 .*\bpid=(\d+) .*\barch=([0-9a-f]+) syscall=(\d+)`)
	suppressedRE = regexp.MustCompile(`(\d+) callbacks suppressed`)
)

// readSeccompRecords reads the kernel log records written since fd was
// opened (one record per read on /dev/kmsg) and returns the seccomp ones
// and how many messages the kernel suppressed.
func readSeccompRecords(fd int) ([]seccompRecord, int) {
	return parseKmsg(kmsgReader(fd))
}

type kmsgReader int

// records reads until the log is drained (EAGAIN), at most maxRecords.
func (k kmsgReader) records(yield func(string)) {
	buf := make([]byte, 8192)
	for i := 0; i < maxRecords; i++ {
		n, err := syscall.Read(int(k), buf)
		switch {
		case err == syscall.EPIPE:
			continue // records were overwritten: go on with the next
		case err == syscall.EINTR:
			continue
		case err != nil || n <= 0:
			return
		}
		yield(string(buf[:n]))
	}
}

// maxRecords bounds the kernel log records read for one explanation.
const maxRecords = 1 << 20

// parseKmsg parses records of the form "prio,seq,ts,flags;message".
func parseKmsg(src interface{ records(func(string)) }) ([]seccompRecord, int) {
	var out []seccompRecord
	suppressed := 0
	src.records(func(rec string) {
		msg := rec
		if i := strings.IndexByte(rec, ';'); i >= 0 {
			msg = rec[i+1:]
		}
		msg, _, _ = strings.Cut(msg, "\n")
		if m := suppressedRE.FindStringSubmatch(msg); m != nil && strings.Contains(msg, "kauditd") {
			n, _ := strconv.Atoi(m[1])
			suppressed += n
			return
		}
		m := recordRE.FindStringSubmatch(msg)
		if m == nil {
			return
		}
		pid, _ := strconv.Atoi(m[1])
		arch, _ := strconv.ParseUint(m[2], 16, 32)
		nr, _ := strconv.Atoi(m[3])
		out = append(out, seccompRecord{pid: pid, arch: uint32(arch), nr: nr})
	})
	return out, suppressed
}

// auditArches maps the audit architecture of a record to libseccomp's.
var auditArches = map[uint32]libseccomp.ScmpArch{
	0xc000003e: libseccomp.ArchAMD64,
	0x40000003: libseccomp.ArchX86,
	0xc00000b7: libseccomp.ArchARM64,
	0x40000028: libseccomp.ArchARM,
}

// syscallName names syscall nr of an audit architecture with libseccomp.
func syscallName(arch uint32, nr int) string {
	if a, ok := auditArches[arch]; ok {
		if name, err := libseccomp.ScmpSyscall(nr).GetNameByArch(a); err == nil {
			return name
		}
	}
	return fmt.Sprintf("syscall %d (audit arch %#x)", nr, arch)
}

// podPIDs lists this machine's processes that run in the pod's cgroup
// (the pod UID is in the cgroup path, with '_' for '-' under systemd).
func podPIDs(uid string) []int {
	if uid == "" {
		return nil
	}
	alt := strings.ReplaceAll(uid, "-", "_")
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f, err := os.Open("/proc/" + e.Name() + "/cgroup")
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			l := sc.Text()
			if strings.Contains(l, "pod"+uid) || strings.Contains(l, "pod"+alt) {
				out = append(out, pid)
				break
			}
		}
		f.Close()
	}
	return out
}
