#!/usr/bin/env bash
# Runs each Fuzz target of the module for the given time (default 30s). Go
# runs one fuzz target per invocation, so list them first.
set -euo pipefail
fuzztime=${1:-30s}
go list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./... | while read -r pkg; do
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "== $pkg $target ($fuzztime)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
  done
done
