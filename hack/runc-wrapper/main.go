// Command runc-wrapper is an OCI runtime that removes, from a container's
// capability sets, every capability the host's own bounding set lacks, and
// then executes the real runc with the same arguments.
//
// Why: on some VMs the capability bounding set of every process lacks
// CAP_SYS_RESOURCE. Docker puts all capabilities into a --privileged
// container's config.json, and runc then fails with "unable to apply caps:
// operation not permitted", so kind nodes (privileged containers) cannot start.
// A capability that is not in the bounding set can never be gained anyway, so
// removing it changes nothing the container could have done.
//
// It edits config.json in the bundle for "create" and "run", and the
// --process file for "exec"; every other command is passed through as is.
// dockerd registers it with --add-runtime (see hack/docker-up.sh).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// realRuncCandidates are tried in order; SECPROF_REAL_RUNC overrides them.
var realRuncCandidates = []string{"/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc", "/usr/local/bin/runc"}

func main() {
	args := os.Args[1:]
	if err := rewrite(args); err != nil {
		// The shim shows stderr in the container start error; say who failed.
		fmt.Fprintf(os.Stderr, "secprof runc-wrapper: %v\n", err)
		os.Exit(1)
	}
	runc, err := findRunc()
	if err != nil {
		fmt.Fprintf(os.Stderr, "secprof runc-wrapper: %v\n", err)
		os.Exit(1)
	}
	argv := append([]string{"runc"}, args...)
	err = syscall.Exec(runc, argv, os.Environ())
	fmt.Fprintf(os.Stderr, "secprof runc-wrapper: exec %s: %v\n", runc, err)
	os.Exit(1)
}

func findRunc() (string, error) {
	if p := os.Getenv("SECPROF_REAL_RUNC"); p != "" {
		return p, nil
	}
	self, _ := os.Executable()
	for _, p := range realRuncCandidates {
		if st, err := os.Stat(p); err == nil && !st.IsDir() && !sameFile(p, self) {
			return p, nil
		}
	}
	return "", errors.New("real runc not found (set SECPROF_REAL_RUNC)")
}

func sameFile(a, b string) bool {
	if b == "" {
		return false
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// globalFlagsWithValue are runc's global flags that take a separate value.
var globalFlagsWithValue = map[string]bool{
	"--root": true, "--log": true, "--log-format": true, "--criu": true, "--rootless": true,
}

// rewrite finds the runc command in args and edits the file it will read.
func rewrite(args []string) error {
	cmd, rest := splitCommand(args)
	var file string
	switch cmd {
	case "create", "run":
		bundle := flagValue(rest, "--bundle", "-b")
		if bundle == "" {
			bundle = "."
		}
		file = filepath.Join(bundle, "config.json")
	case "exec":
		file = flagValue(rest, "--process", "-p")
		if file == "" {
			// exec with the process given on the command line: runc
			// takes capabilities from --cap flags, which docker never sets.
			return nil
		}
	default:
		return nil
	}
	missing, err := missingCaps()
	if err != nil || len(missing) == 0 {
		return err
	}
	return editFile(file, cmd == "exec", missing)
}

// splitCommand returns runc's command name and the arguments after it.
func splitCommand(args []string) (string, []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			return a, args[i+1:]
		}
		if globalFlagsWithValue[a] {
			i++
		}
	}
	return "", nil
}

// flagValue returns the value of a flag given as "--f v", "--f=v", "-f v" or "-f=v".
func flagValue(args []string, names ...string) string {
	for i, a := range args {
		if a == "--" {
			break
		}
		for _, n := range names {
			if a == n && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, n+"="); ok {
				return v
			}
		}
	}
	return ""
}

// capNames maps capability numbers to the names used in OCI specs.
var capNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
	"CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
	"CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
	"CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

// missingCaps returns the names of known capabilities absent from this
// process's bounding set (inherited from the host: dockerd → containerd → shim).
func missingCaps() (map[string]bool, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "CapBnd:")
		if !ok {
			continue
		}
		bnd, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			return nil, fmt.Errorf("parse CapBnd %q: %w", v, err)
		}
		return missingFrom(bnd), nil
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, errors.New("no CapBnd line in /proc/self/status")
}

func missingFrom(bnd uint64) map[string]bool {
	missing := map[string]bool{}
	for i, n := range capNames {
		if bnd&(1<<uint(i)) == 0 {
			missing[n] = true
		}
	}
	return missing
}

// editFile removes the missing capabilities from the capability sets of an
// OCI config.json (process.capabilities) or a runc exec process file
// (capabilities), keeping everything else byte-for-byte equivalent.
func editFile(path string, isProcess bool, missing map[string]bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, changed, err := filterCaps(data, isProcess, missing)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if !changed {
		return nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp := path + ".secprof-tmp"
	if err := os.WriteFile(tmp, out, st.Mode().Perm()); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// filterCaps is the pure part of editFile. Numbers are kept as written
// (UseNumber), so large uint64 values such as rlimits survive the round trip.
func filterCaps(data []byte, isProcess bool, missing map[string]bool) ([]byte, bool, error) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, false, err
	}
	proc := doc
	if !isProcess {
		p, ok := doc["process"].(map[string]any)
		if !ok {
			return data, false, nil
		}
		proc = p
	}
	caps, ok := proc["capabilities"].(map[string]any)
	if !ok {
		return data, false, nil
	}
	changed := false
	for set, v := range caps {
		list, ok := v.([]any)
		if !ok {
			continue
		}
		kept := make([]any, 0, len(list))
		for _, c := range list {
			if s, ok := c.(string); ok && missing[s] {
				changed = true
				continue
			}
			kept = append(kept, c)
		}
		caps[set] = kept
	}
	if !changed {
		return data, false, nil
	}
	out, err := json.Marshal(doc)
	return out, true, err
}
