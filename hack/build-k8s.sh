#!/usr/bin/env bash
# Builds the Kubernetes binaries, etcd and pause from the Go module proxy, in
# scratch modules outside the repository, and caches them under
# $SECPROF_CACHE_DIR/bin/<key>/. Prints that directory on stdout.
# With --print-dir it only prints the directory (built or not).
#
# Why from source: these machines reach no container registry and no release
# download site, only the Go module proxy. k8s.io/kubernetes is a Go module,
# but its go.mod replaces every k8s.io/* staging module with a local path,
# which does not apply to a dependency; the scratch go.mod replaces them with
# their published v0.X.Y versions instead.
# The body is one { } block so bash parses it completely before running it:
# editing this file during a build cannot derail the running build.
{
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need_cmd go

K8S="$SECPROF_K8S_VERSION"
STAGING="$(k8s_staging_version)"
ETCD="$SECPROF_ETCD_VERSION"
cmds=(kubelet kubeadm kubectl kube-apiserver kube-controller-manager kube-scheduler)
# Build flags; the version ldflags are added below.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod -trimpath -buildvcs=false"
# The cache key covers what determines the binaries: versions, the Go
# toolchain, the command list, the flags and the pause source.
KEY="k8s-$K8S-etcd-$ETCD-$( (go version; echo "${cmds[*]} $GOFLAGS $CGO_ENABLED"; cat "$HACK_DIR/pause/main.go") | sha256sum | cut -c1-12)"
OUT="$SECPROF_CACHE_DIR/bin/$KEY"
BUILD="$SECPROF_CACHE_DIR/build"

if [ "${1:-}" = --print-dir ]; then
	echo "$OUT"
	exit 0
fi

if [ -f "$OUT/.done" ]; then
	log "Kubernetes $K8S binaries: cached in $OUT"
	echo "$OUT"
	exit 0
fi

mkdir -p "$BUILD" "$OUT.tmp"
# Only one build at a time per cache (e2e-env may be run concurrently by
# impatient people).
exec 9>"$BUILD/.k8s.lock"
flock 9

# --- Kubernetes ------------------------------------------------------------
kdir="$BUILD/kubernetes-$K8S"
mkdir -p "$kdir"
staging=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go
	cloud-provider cluster-bootstrap code-generator component-base component-helpers
	controller-manager cri-api cri-client csi-translation-lib dynamic-resource-allocation
	endpointslice externaljwt kms kube-aggregator kube-controller-manager kube-proxy
	kube-scheduler kubectl kubelet metrics mount-utils pod-security-admission
	sample-apiserver sample-cli-plugin sample-controller)
{
	echo "module secprof.local/build/kubernetes"
	echo
	echo "go 1.24.0"
	echo
	# Kubernetes' own go.mod sets this; without it newer Go defaults change
	# behaviour (e.g. x509 and HTTP/2 settings) of the components.
	echo "godebug default=go1.24"
	echo
	echo "require k8s.io/kubernetes $K8S"
	echo
	echo "replace ("
	for m in "${staging[@]}"; do echo "	k8s.io/$m => k8s.io/$m $STAGING"; done
	echo ")"
} >"$kdir/go.mod"

# kubeadm compares its own version with the control plane's and refuses v0.0.0,
# so both version packages get the real version.
now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
ldflags="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	ldflags+=" -X $p.gitVersion=$K8S -X $p.gitMajor=1 -X $p.gitMinor=$(echo "$K8S" | cut -d. -f2)"
	ldflags+=" -X $p.gitTreeState=clean -X $p.gitCommit=secprof-offline -X $p.buildDate=$now"
done

pkgs=()
for c in "${cmds[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
# Each step leaves a marker in $OUT.tmp so an interrupted build resumes.
if [ ! -f "$OUT.tmp/.kubernetes-done" ]; then
	log "building Kubernetes $K8S (${cmds[*]}) from the Go module proxy; 10-25 min on 2 cores with an empty Go build cache"
	(cd "$kdir" && with_progress "kubernetes build" "$kdir/build.log" \
		go build -v -ldflags "$ldflags" -o "$OUT.tmp/" "${pkgs[@]}")
	touch "$OUT.tmp/.kubernetes-done"
fi

# --- etcd --------------------------------------------------------------------
# Its own module: etcd and Kubernetes pin different versions of shared
# dependencies (grpc, otel), so building both in one module could change either.
edir="$BUILD/etcd-$ETCD"
mkdir -p "$edir"
cat >"$edir/go.mod" <<EOF
module secprof.local/build/etcd

go 1.24

require go.etcd.io/etcd/server/v3 $ETCD
EOF
if [ ! -f "$OUT.tmp/.etcd-done" ]; then
	log "building etcd $ETCD"
	(cd "$edir" && with_progress "etcd build" "$edir/build.log" \
		go build -v -ldflags "-s -w" -o "$OUT.tmp/etcd" go.etcd.io/etcd/server/v3)
	touch "$OUT.tmp/.etcd-done"
fi

# --- pause -------------------------------------------------------------------
(cd "$REPO_ROOT" && go build -ldflags "-s -w" -o "$OUT.tmp/pause" ./hack/pause)

"$OUT.tmp/kubeadm" version -o short | grep -qx "$K8S" || die "kubeadm reports $("$OUT.tmp/kubeadm" version -o short), want $K8S"
rm -rf "$OUT"
rm -f "$OUT.tmp"/.*-done
mv "$OUT.tmp" "$OUT"
touch "$OUT/.done"
log "Kubernetes $K8S binaries: $OUT ($(du -sh "$OUT" | cut -f1))"
echo "$OUT"
exit 0
}
