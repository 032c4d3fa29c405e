#!/usr/bin/env bash
# Builds the fixture workload images locally, without any registry: each image
# is `docker import` of a tar holding static binaries.
#
#   secprof/busybox:dev    busybox-static with applet links in /bin (sh, touch,
#                          cat, ls, sleep, wget, ...); CMD sh
#   secprof/http-echo:dev  /http-echo (fixtures/workloads/http-echo) as entry
#                          point, plus /probe and the busybox applets so exec
#                          checks (touch /tmp/test, cat /proc/1/attr/current) work
#   secprof/probe:dev      /probe (fixtures/workloads/probe) as entry point,
#                          plus the busybox applets
#
# Idempotent: every image carries a label with the hash of its content and
# configuration and is imported again only when that changes.
#
#   hack/build-images.sh                 all images; prints export lines
#   hack/build-images.sh --busybox-only  only secprof/busybox:dev (docker-up's check)
#
# Uses DOCKER_HOST as given (see hack/docker-up.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

only_busybox=false
[ "${1:-}" = --busybox-only ] && only_busybox=true

need_cmd docker tar sha256sum
BUSYBOX="${SECPROF_BUSYBOX:-/bin/busybox}"
[ -x "$BUSYBOX" ] || die "$BUSYBOX not found: install busybox-static (apt-get install busybox-static)"
# A dynamically linked busybox would not run in an image without libc.
if ! LC_ALL=C file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked'; then
	command -v file >/dev/null 2>&1 && die "$BUSYBOX is not statically linked: install busybox-static"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# stage_busybox DIR: a minimal root with busybox and its applet links.
stage_busybox() {
	local root="$1"
	mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/proc" "$root/sys" "$root/dev" "$root/root"
	chmod 1777 "$root/tmp"
	cp "$BUSYBOX" "$root/bin/busybox"
	# One perl (Essential in Debian) instead of ~400 ln processes.
	"$BUSYBOX" --list | grep -vx busybox |
		(cd "$root/bin" && xargs perl -e 'for (@ARGV) { symlink("busybox", $_) or die "symlink $_: $!\n" }')
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"
}

# go_static PKG OUT: a static Go binary (no libc in these images).
go_static() {
	(cd "$REPO_ROOT" && CGO_ENABLED=0 GOTOOLCHAIN=local go build -trimpath -buildvcs=false -ldflags "-s -w" -o "$2" "$1")
}

bb="$work/busybox"
stage_busybox "$bb"
import_image secprof/busybox:dev "$bb" 'CMD ["sh"]'
$only_busybox && exit 0

echo "export SECPROF_BUSYBOX_IMAGE=secprof/busybox:dev"

missing=()
for w in http-echo probe; do
	[ -f "$REPO_ROOT/fixtures/workloads/$w/main.go" ] || missing+=("fixtures/workloads/$w")
done
[ ${#missing[@]} = 0 ] || die "workload sources missing: ${missing[*]}"

log "building static workload binaries"
go_static ./fixtures/workloads/probe "$work/probe"
go_static ./fixtures/workloads/http-echo "$work/http-echo"

# The workload images start from the same busybox root (cp -a: the applet
# links are many and staging them again is slow).
root="$work/probe-root"
cp -a "$bb" "$root"
cp "$work/probe" "$root/probe"
import_image secprof/probe:dev "$root" 'ENTRYPOINT ["/probe"]'
echo "export SECPROF_PROBE_IMAGE=secprof/probe:dev"

root="$work/http-echo-root"
cp -a "$bb" "$root"
cp "$work/http-echo" "$root/http-echo"
cp "$work/probe" "$root/probe"
import_image secprof/http-echo:dev "$root" 'ENTRYPOINT ["/http-echo"]' 'EXPOSE 5678'
echo "export SECPROF_HTTP_ECHO_IMAGE=secprof/http-echo:dev"
