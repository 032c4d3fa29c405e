package main

import (
	"github.com/secprof/secprof/lint"
	"github.com/secprof/secprof/lint/apparmor"
	"github.com/secprof/secprof/lint/k8s"
	"github.com/secprof/secprof/lint/seccomp"
	"github.com/secprof/secprof/lint/spo"
)

// checkers lists every linter secprof runs, in the order they are asked
// whether they recognise a file.
func checkers() []lint.Checker {
	return []lint.Checker{
		seccomp.New(),
		apparmor.New(),
		k8s.New(),
		spo.New(),
	}
}
