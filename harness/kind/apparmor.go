package kind

import (
	"context"

	"github.com/secprof/secprof/harness/aaload"
)

// A kind node is a container: its kubelet and runc use the host's kernel,
// so AppArmor is whatever the host has, and profiles are loaded into the
// host's kernel (apparmor_parser -r), as the seed tutorial loads them on
// every node.

// hostAppArmor reports whether the host kernel enforces AppArmor, the way
// kubelet (through runc) checks it.
func hostAppArmor() bool { return aaload.Enabled() }

// loadAppArmor loads every profile file of dir and returns the files
// loaded (for unloadAppArmor); profiles the host had loaded before stay
// loaded afterwards.
func loadAppArmor(ctx context.Context, dir string, logf func(string, ...any)) ([]string, error) {
	return aaload.Host{KeepPreloaded: true}.LoadDir(ctx, dir, func(format string, args ...any) { logf("kind: "+format, args...) })
}

// unloadAppArmor removes the profiles loadAppArmor loaded.
func unloadAppArmor(ctx context.Context, files []string) error {
	return aaload.Host{}.Unload(ctx, files)
}
