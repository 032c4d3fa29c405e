#!/usr/bin/env bash
# `make test`: prepares the end-to-end environment (a Docker engine, the
# offline kind node image and the fixture workload images; see
# docs/offline-kind.md), then runs go vet and every test of the module
# against it. In CI (CI=true) a missing environment is a failure, never a
# reason to skip.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p .e2e
if hack/e2e-env.sh; then
  # shellcheck disable=SC1091
  source .e2e/env
  echo "e2e environment: DOCKER_HOST=${DOCKER_HOST:-} SECPROF_KIND_NODE_IMAGE=${SECPROF_KIND_NODE_IMAGE:-}"
else
  if [ "${CI:-}" = "true" ]; then
    echo "make test: the end-to-end environment could not be built (see above); failing as CI must not skip it" >&2
    exit 1
  fi
  echo "make test: WARNING: no end-to-end environment; Docker and kind tests will skip (run as root to build it)" >&2
fi

# Tests never reach a registry on the internet: SPO base profiles come
# from the cache or from registries the tests start on loopback.
export SECPROF_OFFLINE=1

go vet ./...
go test -count=1 -timeout 80m ./...
