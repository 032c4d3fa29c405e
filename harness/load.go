package harness

import (
	"path/filepath"

	"github.com/secprof/secprof/config"
)

// PlanFromConfig parses the test: section of a loaded .secprof.yaml. Its
// relative paths are resolved against the config file's directory and the
// top-level profiles: directories are the plan's defaults.
func PlanFromConfig(cfg *config.File) (*Plan, error) {
	file := cfg.Path
	if file == "" {
		file = config.DefaultFile
	}
	if cfg.Test.Kind == 0 {
		return nil, PlanErrors{{File: file, Msg: "no test: section (see docs/plan.md); add one or pass --plan FILE"}}
	}
	return ParsePlan(file, &cfg.Test, SourceFromConfig(cfg))
}

// SourceFromConfig returns the defaults a config file gives a plan: its
// top-level profile directories, made absolute.
func SourceFromConfig(cfg *config.File) PlanSource {
	if cfg == nil {
		return PlanSource{}
	}
	return PlanSource{Profiles: ProfileDirs{
		Seccomp:  absOrEmpty(cfg.Resolve(cfg.Profiles.Seccomp)),
		AppArmor: absOrEmpty(cfg.Resolve(cfg.Profiles.AppArmor)),
	}}
}

func absOrEmpty(p string) string {
	if p == "" {
		return ""
	}
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

// Load returns the plan to run: planFile (--plan) when given, with cfg's
// profile directories as defaults, else cfg's test: section.
func Load(cfg *config.File, planFile string) (*Plan, error) {
	if planFile != "" {
		return LoadPlan(planFile, SourceFromConfig(cfg))
	}
	return PlanFromConfig(cfg)
}
