package docker

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

// apparmorHost is the AppArmor of the machine secprof runs on, used when
// the engine runs there too (a unix socket): dockerd loads nothing but
// its own docker-default profile, so the plan's profiles are loaded with
// apparmor_parser like an operator would load them on a node.
type apparmorHost struct {
	// profilesFile is the kernel's list of loaded profiles (a variable
	// for tests).
	profilesFile string
}

const apparmorProfiles = "/sys/kernel/security/apparmor/profiles"

func (a apparmorHost) file() string {
	if a.profilesFile != "" {
		return a.profilesFile
	}
	return apparmorProfiles
}

// loaded reports whether the kernel has a profile of that name, and
// whether the list could be read at all.
func (a apparmorHost) loaded(name string) (found, known bool) {
	f, err := os.Open(a.file())
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

// loadDir loads every profile file of dir with apparmor_parser -r and
// returns the files loaded.
func (a apparmorHost) loadDir(ctx context.Context, dir string, logf func(string, ...any)) ([]string, error) {
	parser, err := exec.LookPath("apparmor_parser")
	if err != nil {
		return nil, fmt.Errorf("AppArmor is enabled but apparmor_parser is not installed (Debian package apparmor): %w", err)
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
		out, err := exec.CommandContext(ctx, parser, "-r", "-W", p).CombinedOutput()
		if err != nil {
			return loaded, fmt.Errorf("apparmor_parser -r %s: %v: %s", p, err, strings.TrimSpace(string(out)))
		}
		logf("docker: apparmor: loaded %s", p)
		loaded = append(loaded, p)
	}
	return loaded, nil
}

func (a apparmorHost) unload(ctx context.Context, files []string) error {
	parser, err := exec.LookPath("apparmor_parser")
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
