#!/usr/bin/env bash
# Builds the Security Profiles Operator for the cluster backend's
# end-to-end test (install path "spo"), offline:
#
#   - the operator's binary from its pinned module, fetched through the Go
#     module proxy (no registry, so no image can be pulled), statically
#     linked against libseccomp, cached in $SECPROF_CACHE_DIR/spo/<version>;
#   - the image secprof/spo:<version>: `docker import` of that binary;
#   - the operator's CRDs, copied from the same module.
#
# Nothing of the operator is committed; see docs/backend-cluster.md.
# Prints export lines (SECPROF_SPO_IMAGE, SECPROF_SPO_CRDS). Uses DOCKER_HOST
# as given (see hack/docker-up.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

: "${SECPROF_SPO_VERSION:=v0.8.4}"
need_cmd docker go gcc tar

cache="$SECPROF_CACHE_DIR/spo/$SECPROF_SPO_VERSION"
bin="$cache/security-profiles-operator"
crds="$cache/crds.yaml"
mkdir -p "$cache"

if [ ! -x "$bin" ] || [ ! -s "$crds" ]; then
	# Outside this module, so that go.mod and go.sum stay as they are.
	src="$(cd / && GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/security-profiles-operator@$SECPROF_SPO_VERSION" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
	[ -n "$src" ] && [ -d "$src/cmd/security-profiles-operator" ] ||
		die "cannot download sigs.k8s.io/security-profiles-operator@$SECPROF_SPO_VERSION through the Go module proxy"
	[ -n "$(find /usr/lib -name libseccomp.a -print -quit 2>/dev/null)" ] ||
		die "libseccomp.a not found: install libseccomp-dev"
	# Module zips hold no vendor tree; build from a writable copy that
	# resolves dependencies through the proxy.
	work="$SECPROF_CACHE_DIR/build/spo-src-$SECPROF_SPO_VERSION"
	rm -rf "$work"
	mkdir -p "$(dirname "$work")"
	cp -r "$src" "$work"
	chmod -R u+w "$work"
	rm -rf "$work/vendor"
	log "building the Security Profiles Operator $SECPROF_SPO_VERSION (minutes on a cold cache)"
	start=$(date +%s)
	# The operator's own release flags: static, netgo/osusergo, no BPF.
	(cd "$work" && CGO_ENABLED=1 CGO_LDFLAGS=-lseccomp GOFLAGS=-mod=mod GOTOOLCHAIN=local \
		go build -trimpath -tags 'netgo osusergo seccomp no_bpf' \
		-ldflags '-s -w -linkmode external -extldflags "-static"' \
		-o "$bin.tmp" ./cmd/security-profiles-operator) >&2
	mv "$bin.tmp" "$bin"
	# Its CRDs, one stream.
	for f in "$src"/deploy/base-crds/crds/*.yaml; do
		printf -- '---\n'
		cat "$f"
	done >"$crds.tmp"
	mv "$crds.tmp" "$crds"
	rm -rf "$work"
	log "built the Security Profiles Operator in $(($(date +%s) - start))s"
fi

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/tmp" "$root/etc" "$root/home"
chmod 1777 "$root/tmp"
cp "$bin" "$root/security-profiles-operator"
printf 'root:x:0:0:root:/root:/bin/false\nspo:x:65535:65535:spo:/home:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nspo:x:65535:\n' >"$root/etc/group"
image="secprof/spo:$SECPROF_SPO_VERSION"
import_image "$image" "$root" 'ENTRYPOINT ["/security-profiles-operator"]'
echo "export SECPROF_SPO_IMAGE=$image"
echo "export SECPROF_SPO_CRDS=$crds"
