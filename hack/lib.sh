# shellcheck shell=bash
# Shared settings and helpers for the offline kind test environment.
# Sourced by the hack/*.sh scripts; not meant to be run.

# Pinned versions. Changing any of them changes the node image cache key.
: "${SECPROF_K8S_VERSION:=v1.34.2}"
: "${SECPROF_ETCD_VERSION:=v3.6.5}"       # kubeadm v1.34 expects etcd 3.6.5-0
: "${SECPROF_PAUSE_TAG:=3.10.1}"          # kubeadm v1.34 PauseVersion
: "${SECPROF_DEBIAN_SUITE:=bookworm}"
: "${SECPROF_DEBIAN_MIRROR:=http://deb.debian.org/debian}"

# Everything built lives outside the repository so a fresh clone on the same
# machine reuses it and nothing fetched ever ends up in git.
: "${SECPROF_CACHE_DIR:=/var/cache/secprof}"

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HACK_DIR/.." && pwd)"
E2E_STATE_DIR="${SECPROF_E2E_DIR:-$REPO_ROOT/.e2e}"

# The staging modules (k8s.io/api, client-go, ...) are versioned v0.X.Y for
# Kubernetes v1.X.Y.
k8s_staging_version() { echo "v0.${SECPROF_K8S_VERSION#v1.}"; }

# kind's version is whatever go.mod pins: its node-side files are read from
# that module in the Go module cache.
kind_version() {
	awk '$1 == "sigs.k8s.io/kind" { print $2; exit }' "$REPO_ROOT/go.mod"
}

kind_module_dir() {
	local v dir
	v="$(kind_version)"
	dir="$(cd "$REPO_ROOT" && go mod download -json "sigs.k8s.io/kind@$v" 2>/dev/null |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
	[ -n "$dir" ] && [ -d "$dir/images/base/files" ] || die "cannot find sigs.k8s.io/kind@$v in the Go module cache (go mod download failed?)"
	echo "$dir"
}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

need_root() {
	[ "$(id -u)" = 0 ] || die "$1 needs root (run as root or with sudo)"
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || die "missing command '$c' (install it; see docs/offline-kind.md, hack/deps.sh installs it as root)"
	done
}

# with_progress LABEL LOGFILE CMD...: runs CMD with its output in LOGFILE and
# prints a line every 20 s so a long build is visibly alive. The last lines of
# the log are shown on failure.
with_progress() {
	local label="$1" logfile="$2" start rc pid
	shift 2
	start=$(date +%s)
	"$@" >"$logfile" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 20 &
		wait $! 2>/dev/null || true
		if kill -0 "$pid" 2>/dev/null; then
			log "$label: $(($(date +%s) - start))s, $(wc -l <"$logfile") log lines, last: $(tail -n1 "$logfile" | cut -c1-100)"
		fi
	done
	rc=0
	wait "$pid" || rc=$?
	if [ "$rc" != 0 ]; then
		tail -n 40 "$logfile" >&2
		die "$label failed (exit $rc); full log: $logfile"
	fi
	log "$label: done in $(($(date +%s) - start))s"
}

# hash_files FILE...: one sha256 over the names and contents of the files.
hash_files() {
	local f
	for f in "$@"; do
		printf '%s\n' "${f#"$REPO_ROOT"/}"
		cat "$f"
	done | sha256sum | cut -c1-16
}

# import_image NAME ROOT CHANGE...: imports ROOT as NAME unless NAME already
# carries the same content hash.
import_image() {
	local name="$1" root="$2" want have args=() c
	shift 2
	want="$( (cd "$root" && find . -printf '%p %y %m %l\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; printf '%s\n' "$@") | sha256sum | cut -c1-16)"
	have="$(docker image inspect -f '{{index .Config.Labels "io.secprof.content-hash"}}' "$name" 2>/dev/null || true)"
	if [ "$have" = "$want" ]; then
		log "$name: up to date ($want)"
		return
	fi
	for c in "$@" "LABEL io.secprof.content-hash=$want"; do args+=(--change "$c"); done
	tar --numeric-owner --owner=0 --group=0 -C "$root" -cf - . | docker import "${args[@]}" - "$name" >/dev/null
	log "$name: imported ($want)"
}
