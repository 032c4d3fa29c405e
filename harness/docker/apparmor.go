package docker

import (
	"context"

	"github.com/secprof/secprof/harness/aaload"
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

func (a apparmorHost) host() aaload.Host {
	return aaload.Host{ProfilesFile: a.profilesFile, KeepPreloaded: true}
}

// loaded reports whether the kernel has a profile of that name, and
// whether the list could be read at all.
func (a apparmorHost) loaded(name string) (found, known bool) { return a.host().Loaded(name) }

// loadDir loads every profile file of dir and returns the files loaded.
func (a apparmorHost) loadDir(ctx context.Context, dir string, logf func(string, ...any)) ([]string, error) {
	return a.host().LoadDir(ctx, dir, func(format string, args ...any) { logf("docker: "+format, args...) })
}

func (a apparmorHost) unload(ctx context.Context, files []string) error {
	return a.host().Unload(ctx, files)
}
