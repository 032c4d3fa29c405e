#!/usr/bin/env bash
# Builds a kind node image offline — what `kind build node-image` does, without
# pulling kindest/base or anything else from a registry — or takes it from the
# cache. Prints the image name on stdout.
#
#   DOCKER_HOST=... hack/build-node-image.sh            build or load, print name
#   hack/build-node-image.sh --print-name               print the name only
#
# Steps (each cached):
#  1. Kubernetes, etcd and pause binaries: hack/build-k8s.sh (Go module proxy).
#  2. A Debian rootfs from debootstrap (.debs cached in $SECPROF_CACHE_DIR/debs).
#  3. kind's node-side files (entrypoint, containerd config, systemd units),
#     read from the sigs.k8s.io/kind module that go.mod pins, in the Go module
#     cache; containerd gets restrict_oom_score_adj = true because no process
#     in the node may lower oom_score_adj on our VMs.
#  4. CNI plugins from Debian in /opt/cni/bin and a bridge + host-local conflist.
#  5. docker import of the rootfs; kubelet/kubeadm/kubectl in /usr/bin; the
#     control-plane images (docker import of one binary each, tagged as
#     `kubeadm config images list` says) imported into the node's containerd;
#     docker commit.
#  6. docker save | gzip into $SECPROF_CACHE_DIR/node-images/, keyed on the
#     Kubernetes, kind and Debian versions and a hash of the inputs; a later run
#     (or a fresh clone on the same machine) only loads that file.
# The body is one { } block so bash parses it completely before running it:
# editing this file during a build cannot derail the running build.
{
set -euo pipefail
. "$(dirname "$0")/lib.sh"

K8S="$SECPROF_K8S_VERSION"
SUITE="$SECPROF_DEBIAN_SUITE"
KINDV="$(kind_version)"
KIND_DIR="$(kind_module_dir)"
KIND_FILES="$KIND_DIR/images/base/files"
BIN="$("$HACK_DIR/build-k8s.sh" --print-dir)"

# What kind's base image installs, as Debian packages (bookworm's containerd is
# 1.6, which reads kind's version 2 containerd config).
PACKAGES=(systemd dbus containerd runc containernetworking-plugins iptables nftables
	conntrack iproute2 ethtool socat ebtables mount kmod util-linux ca-certificates
	procps libseccomp2 bash jq ipset)

input_hash() {
	{
		echo "$K8S $KINDV $SUITE $SECPROF_PAUSE_TAG ${PACKAGES[*]} $(basename "$BIN")"
		cat "$HACK_DIR/build-node-image.sh" "$HACK_DIR/node/"*
		(cd "$KIND_FILES" && find . -type f | LC_ALL=C sort | xargs sha256sum)
	} | sha256sum | cut -c1-12
}
HASH="$(input_hash)"
IMAGE="secprof/kind-node:$K8S-$HASH"
CACHE_FILE="$SECPROF_CACHE_DIR/node-images/kind-node-$K8S-kind-$KINDV-$SUITE-$HASH.tar.gz"

if [ "${1:-}" = --print-name ]; then
	echo "$IMAGE"
	exit 0
fi

# from_cache: succeeds when the image is in the engine or could be loaded
# from the cache file.
from_cache() {
	if docker image inspect "$IMAGE" >/dev/null 2>&1; then
		log "node image $IMAGE: present in the engine"
		return 0
	fi
	[ -s "$CACHE_FILE" ] || return 1
	log "node image $IMAGE: loading $CACHE_FILE ($(du -h "$CACHE_FILE" | cut -f1))"
	mkdir -p "$SECPROF_CACHE_DIR/logs"
	with_progress "docker load" "$SECPROF_CACHE_DIR/logs/node-image-load.log" \
		sh -c 'gzip -dc "$1" | docker load' sh "$CACHE_FILE"
	docker image inspect "$IMAGE" >/dev/null 2>&1 || die "$CACHE_FILE did not contain $IMAGE; delete it and run again"
}

need_cmd docker gzip
if from_cache; then
	echo "$IMAGE"
	exit 0
fi

need_root "building the node image (debootstrap, chroot)"
need_cmd debootstrap chroot tar sha256sum findmnt setsid flock
mkdir -p "$SECPROF_CACHE_DIR/build" "$SECPROF_CACHE_DIR/debs" "$SECPROF_CACHE_DIR/logs" "$(dirname "$CACHE_FILE")"
exec 8>"$SECPROF_CACHE_DIR/build/.node-image.lock"
flock 8
# Another run may have built it while we waited for the lock.
if from_cache; then
	echo "$IMAGE"
	exit 0
fi
start=$(date +%s)
log "node image $IMAGE: not cached, building (Kubernetes $K8S, kind $KINDV files, Debian $SUITE)"
work="$(mktemp -d "$SECPROF_CACHE_DIR/build/node-image.XXXXXX")"
build_ctr="secprof-node-build-$$"
base_tag="secprof/kind-node-base:$HASH"
component_tags=()
k8s_pid=
cleanup() {
	# A compile still running when we fail or are interrupted goes with us.
	[ -n "$k8s_pid" ] && kill -- -"$k8s_pid" 2>/dev/null || true
	docker rm -f -v "$build_ctr" >/dev/null 2>&1 || true
	docker rmi "$base_tag" "${component_tags[@]}" >/dev/null 2>&1 || true
	# debootstrap mounts /proc, /sys (and may bind /dev) in the target: never
	# let rm walk into a mount.
	findmnt -rno TARGET | grep "^$work/" | sort -r | xargs -r umount -l 2>/dev/null || true
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. Kubernetes binaries, compiled while debootstrap downloads -----------
# In its own process group (setsid) so cleanup can stop the whole compile.
setsid -w "$HACK_DIR/build-k8s.sh" >/dev/null &
k8s_pid=$!

# --- 2. rootfs ---------------------------------------------------------------
# The plain debootstrap result is cached too (keyed on suite and packages):
# debootstrap takes minutes, and a new Kubernetes version or recipe change
# should not pay for it again.
rootfs="$work/rootfs"
rootfs_cache="$SECPROF_CACHE_DIR/rootfs/debian-$SUITE-minbase-$(echo "${PACKAGES[*]}" | sha256sum | cut -c1-12).tar.gz"
mkdir -p "$rootfs" "$(dirname "$rootfs_cache")"
if [ -s "$rootfs_cache" ]; then
	with_progress "unpacking cached rootfs $(basename "$rootfs_cache")" "$SECPROF_CACHE_DIR/logs/rootfs-unpack.log" \
		tar -C "$rootfs" --numeric-owner --xattrs --xattrs-include='*' -xzpf "$rootfs_cache"
else
	pkgs="$(
		IFS=,
		echo "${PACKAGES[*]}"
	)"
	log "debootstrap $SUITE (minbase + ${#PACKAGES[@]} packages; 4-7 min the first time, .debs cached)"
	with_progress "debootstrap" "$SECPROF_CACHE_DIR/logs/debootstrap.log" \
		debootstrap --variant=minbase --include="$pkgs" --cache-dir="$SECPROF_CACHE_DIR/debs" \
		"$SUITE" "$rootfs" "$SECPROF_DEBIAN_MIRROR"
	findmnt -rno TARGET | grep "^$rootfs/" | sort -r | xargs -r umount -l 2>/dev/null || true
	with_progress "caching the rootfs" "$SECPROF_CACHE_DIR/logs/rootfs-pack.log" \
		sh -c 'tar -C "$1" --numeric-owner --xattrs --xattrs-include="*" -cf - . | gzip -1 >"$2.tmp" && mv "$2.tmp" "$2"' sh "$rootfs" "$rootfs_cache"
fi

# --- 3. kind's node-side files -------------------------------------------------
log "installing kind $KINDV node files from $KIND_FILES"
# The module cache is read-only: copy contents, then set kind's modes
# (scripts 0755, everything else 0644) as its Dockerfile does.
tar -C "$KIND_FILES" -cf - . | tar -C "$rootfs" -xf - --no-same-owner --no-same-permissions --no-overwrite-dir
(cd "$KIND_FILES" && find . -type f) | while read -r f; do chmod 0644 "$rootfs/$f"; done
(cd "$KIND_FILES" && find . -type d) | while read -r d; do chmod 0755 "$rootfs/$d"; done
chmod 0755 "$rootfs"/usr/local/bin/* "$rootfs"/kind/bin/* "$rootfs/kind/bin"

# Debian installs containerd in /usr/bin; kind's unit starts /usr/local/bin/containerd.
ln -sf /usr/bin/containerd "$rootfs/usr/local/bin/containerd"

# containerd: kind's config with the pause image kubeadm expects, and
# restrict_oom_score_adj = true (see above). The fuse-overlayfs proxy plugin is
# dropped: only rootless kind uses it and we do not ship it.
cfg="$rootfs/etc/containerd/config.toml"
sed -i \
	-e 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' \
	-e "s|sandbox_image = .*|sandbox_image = \"registry.k8s.io/pause:$SECPROF_PAUSE_TAG\"|" \
	"$cfg"
awk '/^\[proxy_plugins/ { skip = 1; next } /^\[/ { skip = 0 } !skip' "$cfg" >"$cfg.new" && mv "$cfg.new" "$cfg"
grep -q 'restrict_oom_score_adj = true' "$cfg" || die "kind $KINDV's containerd config has no restrict_oom_score_adj line to set"
grep -q "sandbox_image = \"registry.k8s.io/pause:$SECPROF_PAUSE_TAG\"" "$cfg" || die "kind $KINDV's containerd config has no sandbox_image line to set"

# systemd inside a container, as kind's base image sets it up.
rm -f "$rootfs"/lib/systemd/system/sysinit.target.wants/systemd-tmpfiles-setup.service \
	"$rootfs"/lib/systemd/system/multi-user.target.wants/* \
	"$rootfs"/etc/systemd/system/*.wants/* \
	"$rootfs"/lib/systemd/system/local-fs.target.wants/* \
	"$rootfs"/lib/systemd/system/sockets.target.wants/*udev* \
	"$rootfs"/lib/systemd/system/sockets.target.wants/*initctl* \
	"$rootfs"/lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >>"$rootfs/etc/systemd/journald.conf"
ln -sf /lib/systemd/systemd "$rootfs/sbin/init"

# --- 4. CNI ------------------------------------------------------------------
mkdir -p "$rootfs/opt/cni/bin" "$rootfs/etc/cni/net.d"
cp -a "$rootfs"/usr/lib/cni/. "$rootfs/opt/cni/bin/"
install -m 0755 "$HACK_DIR/node/secprof-cni-config" "$rootfs/usr/local/bin/secprof-cni-config"
install -m 0644 "$HACK_DIR/node/secprof-cni.service" "$rootfs/etc/systemd/system/secprof-cni.service"

chroot "$rootfs" systemctl enable kubelet.service containerd.service undo-mount-hacks.service secprof-cni.service >/dev/null 2>&1 ||
	die "systemctl enable in the rootfs failed"
chroot "$rootfs" systemctl mask systemd-binfmt.service >/dev/null 2>&1
mkdir -p "$rootfs/etc/kubernetes/manifests"

# The runtime spec every CRI container starts from (kind: `ctr oci spec` plus
# its product-uuid hook, without rlimits).
chroot "$rootfs" ctr oci spec |
	chroot "$rootfs" jq '.hooks.createContainer[.hooks.createContainer | length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' |
	chroot "$rootfs" jq 'del(.process.rlimits)' >"$rootfs/etc/containerd/cri-base.json"

# --- 5. Kubernetes -------------------------------------------------------------
if ! wait "$k8s_pid"; then
	k8s_pid=
	die "building the Kubernetes binaries failed (see the messages above)"
fi
k8s_pid=
[ -f "$BIN/.done" ] || die "hack/build-k8s.sh finished but $BIN is incomplete"
install -m 0755 "$BIN/kubelet" "$BIN/kubeadm" "$BIN/kubectl" "$rootfs/usr/bin/"
mkdir -p "$rootfs/kind/manifests"
printf '%s' "$K8S" >"$rootfs/kind/version"
install -m 0644 "$HACK_DIR/node/default-storage.yaml" "$rootfs/kind/manifests/default-storage.yaml"

# Smaller image: apt lists, docs and man pages are not needed in a node.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
	"$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*

log "docker import of the rootfs ($(du -sh "$rootfs" | cut -f1))"
with_progress "docker import rootfs" "$SECPROF_CACHE_DIR/logs/node-image-import.log" \
	sh -c 'tar --numeric-owner --xattrs --xattrs-include="*" -C "$1" -cf - . | docker import --change "ENV container=docker" --change "ENTRYPOINT [\"/usr/local/bin/entrypoint\", \"/sbin/init\"]" - "$2"' sh "$rootfs" "$base_tag"
rm -rf "$rootfs"

# Control-plane images: one static binary each, named as kubeadm expects.
mapfile -t required < <("$BIN/kubeadm" config images list --kubernetes-version "$K8S" 2>/dev/null)
[ ${#required[@]} -gt 0 ] || die "kubeadm config images list printed nothing"
for ref in "${required[@]}"; do
	name="${ref##*/}"
	name="${name%%:*}"
	case "$name" in
	coredns | kube-proxy) continue ;; # skipped phases: addon/coredns, addon/kube-proxy
	esac
	[ -x "$BIN/$name" ] || die "no binary for image $ref"
	croot="$work/img-$name"
	mkdir -p "$croot/usr/local/bin" "$croot/tmp" "$croot/etc"
	chmod 1777 "$croot/tmp"
	cp "$BIN/$name" "$croot/usr/local/bin/$name"
	printf 'root:x:0:0:root:/:/nonexistent\nnobody:x:65534:65534:nobody:/:/nonexistent\n' >"$croot/etc/passwd"
	entry="[\"/usr/local/bin/$name\"]"
	tar --numeric-owner --owner=0 --group=0 -C "$croot" -cf - . |
		docker import --change "ENV PATH=/usr/local/bin:/usr/bin:/bin" --change "ENTRYPOINT $entry" - "$ref" >/dev/null
	component_tags+=("$ref")
done
log "control-plane images: ${component_tags[*]}"
docker save "${component_tags[@]}" >"$work/images.tar"

log "importing the control-plane images into the node's containerd"
docker run -d --name "$build_ctr" --entrypoint sleep --security-opt seccomp=unconfined --network none \
	"$base_tag" infinity >/dev/null
docker exec "$build_ctr" bash -c 'nohup containerd >/tmp/containerd.log 2>&1 &
for i in $(seq 1 50); do [ -S /run/containerd/containerd.sock ] && ctr version >/dev/null 2>&1 && exit 0; sleep 0.2; done
cat /tmp/containerd.log; exit 1' || die "containerd did not start in the build container"
docker exec -i "$build_ctr" ctr --namespace=k8s.io images import --no-unpack --digests \
	- <"$work/images.tar" >/dev/null
imported="$(docker exec "$build_ctr" ctr --namespace=k8s.io images list -q)"
for ref in "${component_tags[@]}"; do
	grep -qx "$ref" <<<"$imported" || die "$ref missing from the node's containerd after import"
	# Pinned images are never garbage-collected by the kubelet (containerd
	# 1.6's ctr has no --label on import, hence a separate step).
	docker exec "$build_ctr" ctr --namespace=k8s.io images label "$ref" io.cri-containerd.pinned=pinned >/dev/null
done
docker exec "$build_ctr" bash -c 'pkill -x containerd; for i in $(seq 1 50); do pgrep -x containerd >/dev/null || break; sleep 0.2; done; rm -rf /tmp/containerd.log /run/containerd'
# The build container ran `sleep infinity`: put kind's entry point back and
# drop the "infinity" argument.
docker commit \
	--change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' \
	--change 'CMD []' \
	"$build_ctr" "$IMAGE" >/dev/null

log "saving $IMAGE to $CACHE_FILE"
with_progress "docker save | gzip" "$SECPROF_CACHE_DIR/logs/node-image-save.log" \
	sh -c 'docker save "$1" | gzip -1 >"$2.tmp" && mv "$2.tmp" "$2"' sh "$IMAGE" "$CACHE_FILE"
log "node image $IMAGE built in $(($(date +%s) - start))s; cache $(du -h "$CACHE_FILE" | cut -f1)"

# Older node images: keep the two newest, as tarballs and in the engine
# (another checkout, or a test still running, may want the previous one).
ls -1t "$(dirname "$CACHE_FILE")"/kind-node-*.tar.gz 2>/dev/null | tail -n +3 | xargs -r rm -f
docker images secprof/kind-node --format '{{.Repository}}:{{.Tag}}' | tail -n +3 | xargs -r docker rmi >/dev/null 2>&1 || true
echo "$IMAGE"
exit 0
}
