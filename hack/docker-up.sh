#!/usr/bin/env bash
# Makes sure a Docker engine that can run --privileged containers (kind nodes)
# answers, and prints the line to use it:
#
#     eval "$(hack/docker-up.sh)"     # exports DOCKER_HOST
#
# Order of preference:
#  1. DOCKER_HOST, when set to something other than our private socket: it
#     must answer and run a --privileged container, or this fails (you chose
#     that engine; we do not silently switch).
#  2. Our private dockerd, when its PID file names a live process that answers.
#  3. The system engine at /var/run/docker.sock, when it answers and can run
#     a --privileged container.
#  4. Otherwise start a private dockerd (root), see below.
#
# The private dockerd: Debian's dockerd with its own socket, exec root, data
# root (kept, so images loaded once stay loaded), containerd namespace and a
# bridge created beforehand (never --bridge=none: it deletes the host's docker0
# configuration). It leaves a system engine alone, needs no systemd, and is
# stopped by hack/e2e-env-clean.sh through its PID file. The OCI runtime
# wrapper (hack/runc-wrapper) is registered with --add-runtime and made the
# default runtime: it removes from each container the capabilities the host's
# bounding set lacks (CAP_SYS_RESOURCE on our VMs), without which every
# --privileged container fails with "unable to apply caps".
#
# stdout: only the export line. Logs go to stderr.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

: "${SECPROF_DOCKER_RUN_DIR:=/run/secprof}"
: "${SECPROF_DOCKER_BRIDGE:=secprof0}"
: "${SECPROF_DOCKER_BRIDGE_CIDR:=172.31.254.1/24}"
RUN_DIR="$SECPROF_DOCKER_RUN_DIR"
SOCK="$RUN_DIR/docker.sock"
PRIVATE_HOST="unix://$SOCK"
PIDFILE="$RUN_DIR/dockerd.pid"
DATA_ROOT="$SECPROF_CACHE_DIR/docker"
LOGFILE="$SECPROF_CACHE_DIR/logs/dockerd.log"
SYSTEM_HOST="unix:///var/run/docker.sock"

need_cmd docker

answers() { DOCKER_HOST="$1" timeout 20 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# privileged_ok HOST: can this engine start a --privileged container? Uses the
# locally built busybox image, so no registry is involved.
privileged_ok() {
	local out
	DOCKER_HOST="$1" "$HACK_DIR/build-images.sh" --busybox-only >/dev/null || return 1
	if out="$(DOCKER_HOST="$1" timeout 60 docker run --rm --privileged --network none secprof/busybox:dev true 2>&1)"; then
		return 0
	fi
	log "docker run --privileged on $1 failed: $out"
	return 1
}

private_pid() {
	local pid
	[ -f "$PIDFILE" ] || return 1
	pid="$(cat "$PIDFILE")"
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] || return 1
	echo "$pid"
}

emit() { echo "export DOCKER_HOST=$1"; }

# 1. An engine the caller chose.
if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != "$PRIVATE_HOST" ]; then
	answers "$DOCKER_HOST" || die "DOCKER_HOST=$DOCKER_HOST does not answer; unset it to let $0 start a private engine"
	privileged_ok "$DOCKER_HOST" || die "the engine at DOCKER_HOST=$DOCKER_HOST cannot run --privileged containers; unset DOCKER_HOST to let $0 start a private engine with the runtime wrapper"
	log "using the engine at DOCKER_HOST=$DOCKER_HOST"
	emit "$DOCKER_HOST"
	exit 0
fi

# 2. Ours, already running.
if pid="$(private_pid)" && answers "$PRIVATE_HOST"; then
	log "using the private dockerd (pid $pid) at $PRIVATE_HOST"
	emit "$PRIVATE_HOST"
	exit 0
fi

# 3. The system engine, when it is usable as is.
if [ -z "${DOCKER_HOST:-}" ] && [ -S /var/run/docker.sock ] && answers "$SYSTEM_HOST"; then
	if privileged_ok "$SYSTEM_HOST"; then
		log "using the system engine at $SYSTEM_HOST"
		emit "$SYSTEM_HOST"
		exit 0
	fi
	log "the system engine cannot run --privileged containers; starting a private one beside it"
fi

# 4. Start our own.
need_root "starting a private dockerd"
need_cmd dockerd ip go iptables
mkdir -p "$RUN_DIR" "$DATA_ROOT" "$(dirname "$LOGFILE")"
exec 9>"$RUN_DIR/docker-up.lock"
flock 9
# Someone else may have started it while we waited for the lock.
if pid="$(private_pid)" && answers "$PRIVATE_HOST"; then
	emit "$PRIVATE_HOST"
	exit 0
fi
if pid="$(private_pid)"; then
	die "dockerd pid $pid (from $PIDFILE) is alive but $PRIVATE_HOST does not answer; see $LOGFILE, or run hack/e2e-env-clean.sh"
fi

wrapper_dir="$SECPROF_CACHE_DIR/bin/runc-wrapper-$(hash_files "$HACK_DIR/runc-wrapper/main.go")"
wrapper="$wrapper_dir/secprof-runc"
if [ ! -x "$wrapper" ]; then
	log "building the OCI runtime wrapper"
	mkdir -p "$wrapper_dir"
	(cd "$REPO_ROOT" && CGO_ENABLED=0 go build -trimpath -o "$wrapper.tmp" ./hack/runc-wrapper) && mv "$wrapper.tmp" "$wrapper"
fi

if ! ip link show "$SECPROF_DOCKER_BRIDGE" >/dev/null 2>&1; then
	log "creating bridge $SECPROF_DOCKER_BRIDGE ($SECPROF_DOCKER_BRIDGE_CIDR)"
	ip link add "$SECPROF_DOCKER_BRIDGE" type bridge
	ip addr add "$SECPROF_DOCKER_BRIDGE_CIDR" dev "$SECPROF_DOCKER_BRIDGE"
fi
ip link set "$SECPROF_DOCKER_BRIDGE" up
echo "$SECPROF_DOCKER_BRIDGE" >"$RUN_DIR/bridge"

rm -f "$SOCK" "$PIDFILE"
log "starting a private dockerd at $PRIVATE_HOST (data root $DATA_ROOT, log $LOGFILE)"
# setsid: the daemon must outlive this script and not get the terminal's ^C.
setsid dockerd \
	--host "$PRIVATE_HOST" \
	--pidfile "$PIDFILE" \
	--data-root "$DATA_ROOT" \
	--exec-root "$RUN_DIR/exec" \
	--bridge "$SECPROF_DOCKER_BRIDGE" \
	--containerd-namespace secprof \
	--containerd-plugins-namespace secprof-plugins \
	--add-runtime "secprof-runc=$wrapper" \
	--default-runtime secprof-runc \
	>>"$LOGFILE" 2>&1 </dev/null &
started=$!

for _ in $(seq 1 120); do
	if answers "$PRIVATE_HOST"; then
		break
	fi
	kill -0 "$started" 2>/dev/null || { tail -n 20 "$LOGFILE" >&2; die "dockerd exited; see $LOGFILE"; }
	sleep 0.5
done
answers "$PRIVATE_HOST" || { tail -n 20 "$LOGFILE" >&2; die "dockerd did not answer at $PRIVATE_HOST within 60s; see $LOGFILE"; }
[ -s "$PIDFILE" ] || echo "$started" >"$PIDFILE"

if ! privileged_ok "$PRIVATE_HOST"; then
	die "the private dockerd cannot run --privileged containers even with the runtime wrapper; see $LOGFILE"
fi
log "private dockerd $(DOCKER_HOST=$PRIVATE_HOST docker version --format '{{.Server.Version}}') up (pid $(cat "$PIDFILE")), --privileged works"
emit "$PRIVATE_HOST"
