package kind

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// A kind node is a container: its kubelet and runc use the host's kernel,
// so AppArmor is whatever the host has, and profiles are loaded into the
// host's kernel (apparmor_parser -r), as the seed tutorial loads them on
// every node.

// hostAppArmor reports whether the host kernel enforces AppArmor, the way
// kubelet (through runc) checks it.
func hostAppArmor() bool {
	b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	if err != nil || !strings.HasPrefix(strings.TrimSpace(string(b)), "Y") {
		return false
	}
	_, err = os.Stat("/sys/kernel/security/apparmor/profiles")
	return err == nil
}

// loadAppArmor loads every profile file of dir and returns the files
// loaded (for unloadAppArmor).
func loadAppArmor(ctx context.Context, dir string, logf func(string, ...any)) ([]string, error) {
	parser, err := exec.LookPath("apparmor_parser")
	if err != nil {
		return nil, fmt.Errorf("the host has AppArmor but no apparmor_parser (Debian package apparmor): %w", err)
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
		logf("kind: AppArmor profile %s loaded into the host kernel", p)
		loaded = append(loaded, p)
	}
	return loaded, nil
}

// unloadAppArmor removes the profiles loadAppArmor loaded.
func unloadAppArmor(ctx context.Context, files []string) error {
	if len(files) == 0 {
		return nil
	}
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
