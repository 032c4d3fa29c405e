package k8s

import "github.com/secprof/secprof/lint"

// withSPO also detects SPO SeccompProfile files, so that a test run has
// them among its files as it would with the seccomp checker present.
type withSPO struct{ *Checker }

func (c withSPO) Detect(f *lint.File) bool {
	return c.Checker.Detect(f) || f.HasYAMLKind("SeccompProfile")
}
