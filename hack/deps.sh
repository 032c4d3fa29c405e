#!/usr/bin/env bash
# Installs (as root, with apt-get) or names (otherwise) the Debian packages
# secprof needs. `hack/deps.sh build` checks what building needs; `hack/deps.sh
# test` (the default) adds what the test suite needs: real apparmor_parser,
# real-world profiles, a Docker engine and the offline kind tooling.
set -euo pipefail

mode=${1:-test}
# libc6-dev: cgo needs its headers, and the static builds (the Security
# Profiles Operator, hack/build-spo.sh) its libc.a; gcc only recommends it.
build_pkgs=(gcc libc6-dev pkg-config libseccomp-dev)
test_pkgs=(apparmor apparmor-profiles apparmor-profiles-extra golang-github-containers-common
  docker.io busybox-static debootstrap iptables procps git iproute2)
case "$mode" in
  build) want=("${build_pkgs[@]}") ;;
  test) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test]" >&2; exit 2 ;;
esac

if ! command -v go >/dev/null 2>&1; then
  echo "secprof: Go is not installed; install Go 1.24 or newer (https://go.dev/dl/)" >&2
  exit 1
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "secprof: missing packages ${missing[*]}, and this is not a Debian-like system:" >&2
  echo "  install the equivalents of: ${missing[*]}" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "secprof: missing Debian packages: ${missing[*]}" >&2
  echo "  run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  echo "  (or run make as root, and it installs them itself)" >&2
  exit 1
fi
echo "secprof: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The test set-up starts dockerd itself, so a service manager that is not
# there for docker.io's postinst does not matter.
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "secprof: apt-get install ${missing[*]} failed (output above)" >&2
  exit 1
fi
