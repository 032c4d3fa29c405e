// Package aaload loads AppArmor profiles into the kernel of the machine
// secprof runs on with apparmor_parser, as an operator loads them on a
// node, and reads which profiles that kernel has. The local backend, the
// docker backend with a local engine and the kind backend (whose nodes
// share the host's kernel) all use it.
package aaload

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ProfilesFile is the kernel's list of loaded profiles.
const ProfilesFile = "/sys/kernel/security/apparmor/profiles"

// enabledFile says whether the AppArmor module enforces.
const enabledFile = "/sys/module/apparmor/parameters/enabled"

// Enabled reports whether the kernel enforces AppArmor, the way runc (and
// so kubelet) checks it.
func Enabled() bool {
	b, err := os.ReadFile(enabledFile)
	if err != nil || !strings.HasPrefix(strings.TrimSpace(string(b)), "Y") {
		return false
	}
	_, err = os.Stat(ProfilesFile)
	return err == nil
}

// Host is the AppArmor of this machine's kernel.
type Host struct {
	// ProfilesFile replaces the kernel's list of loaded profiles (for
	// tests); empty means the kernel's.
	ProfilesFile string
	// KeepPreloaded leaves out of LoadDir's result the files whose
	// profiles were all loaded before, so that Unload leaves them loaded.
	KeepPreloaded bool
}

func (h Host) file() string {
	if h.ProfilesFile != "" {
		return h.ProfilesFile
	}
	return ProfilesFile
}

// Loaded reports whether the kernel has a profile of that name, and
// whether its list could be read at all.
func (h Host) Loaded(name string) (found, known bool) {
	f, err := os.Open(h.file())
	if err != nil {
		return false, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "k8s-apparmor-example-deny-write (enforce)"
		n := sc.Text()
		if i := strings.LastIndex(n, " ("); i >= 0 {
			n = n[:i]
		}
		if n == name {
			return true, true
		}
	}
	return false, sc.Err() == nil
}

func parser() (string, error) {
	p, err := exec.LookPath("apparmor_parser")
	if err != nil {
		return "", fmt.Errorf("AppArmor is enabled but apparmor_parser is not installed (Debian package apparmor): %w", err)
	}
	return p, nil
}

// LoadDir loads every profile file of dir (hidden files aside) with
// apparmor_parser -r and returns the files loaded, for Unload. On error it
// returns the files loaded so far.
func (h Host) LoadDir(ctx context.Context, dir string, logf func(string, ...any)) ([]string, error) {
	parser, err := parser()
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var loaded []string
	for _, e := range ents {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		already := h.KeepPreloaded && h.allLoaded(ctx, parser, p)
		out, err := exec.CommandContext(ctx, parser, "-r", "-W", p).CombinedOutput()
		if err != nil {
			return loaded, fmt.Errorf("apparmor_parser -r %s: %v: %s", p, err, strings.TrimSpace(string(out)))
		}
		logf("apparmor: loaded %s into the host kernel", p)
		if !already {
			loaded = append(loaded, p)
		}
	}
	return loaded, nil
}

// allLoaded reports whether the kernel already has every profile file p
// defines (apparmor_parser -N lists their names).
func (h Host) allLoaded(ctx context.Context, parser, p string) bool {
	names, err := exec.CommandContext(ctx, parser, "-N", p).Output()
	if err != nil {
		return false
	}
	for _, n := range strings.Fields(string(names)) {
		if found, _ := h.Loaded(n); !found {
			return false
		}
	}
	return true
}

// Unload removes the profiles of files (apparmor_parser -R), trying every
// file whatever fails.
func (h Host) Unload(ctx context.Context, files []string) error {
	if len(files) == 0 {
		return nil
	}
	parser, err := parser()
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range files {
		if out, err := exec.CommandContext(ctx, parser, "-R", p).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("apparmor_parser -R %s: %v: %s", p, err, strings.TrimSpace(string(out))))
		}
	}
	return errors.Join(errs...)
}
