#!/usr/bin/env bash
# `make e2e-env-clean`: stops what hack/e2e-env.sh started and keeps the cache.
#   - the private dockerd (by its PID file), after removing the kind clusters
#     and networks left in it,
#   - its bridge and the iptables rules dockerd added for it,
#   - .e2e/env.
# The node image tarball, the Go-built binaries, the .debs and the private
# engine's data root stay in $SECPROF_CACHE_DIR; --purge removes them too.
# A Docker engine we did not start is never touched.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

: "${SECPROF_DOCKER_RUN_DIR:=/run/secprof}"
RUN_DIR="$SECPROF_DOCKER_RUN_DIR"
PIDFILE="$RUN_DIR/dockerd.pid"
export DOCKER_HOST="unix://$RUN_DIR/docker.sock"
purge=false
[ "${1:-}" = --purge ] && purge=true

pid=
if [ -f "$PIDFILE" ]; then
	pid="$(cat "$PIDFILE")"
	if ! kill -0 "$pid" 2>/dev/null || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != dockerd ]; then
		log "stale PID file $PIDFILE (pid $pid is not a running dockerd)"
		pid=
	fi
fi

if [ -n "$pid" ]; then
	if timeout 20 docker version >/dev/null 2>&1; then
		ids="$(docker ps -aq --filter label=io.x-k8s.kind.cluster)"
		if [ -n "$ids" ]; then
			log "removing kind node containers: $(echo "$ids" | tr '\n' ' ')"
			# shellcheck disable=SC2086
			docker rm -f -v $ids >/dev/null
		fi
		docker network prune -f >/dev/null || true
	fi
	log "stopping the private dockerd (pid $pid)"
	kill -TERM "$pid"
	for _ in $(seq 1 60); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "dockerd did not stop in 30s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
fi

bridge="$(cat "$RUN_DIR/bridge" 2>/dev/null || true)"
if [ -n "$bridge" ] && ip link show "$bridge" >/dev/null 2>&1; then
	log "removing bridge $bridge"
	ip link del "$bridge"
fi
if [ -n "$bridge" ] && command -v iptables >/dev/null 2>&1; then
	# dockerd leaves its NAT/forward rules behind on exit; drop those naming
	# our bridge.
	for table in nat filter; do
		iptables -t "$table" -S 2>/dev/null | grep -F -- "$bridge" | grep '^-A ' | sed 's/^-A /-D /' |
			while read -r rule; do
				# shellcheck disable=SC2086
				iptables -t "$table" $rule 2>/dev/null || true
			done
	done
fi
rm -f "$PIDFILE" "$RUN_DIR/docker.sock" "$RUN_DIR/bridge" "$RUN_DIR/docker-up.lock" "$E2E_STATE_DIR/env"
# The exec root goes once no dockerd uses it any more.
if [ -d "$RUN_DIR/exec" ] && ! pgrep -f -- "--exec-root $RUN_DIR/exec" >/dev/null; then
	findmnt -rno TARGET | grep "^$RUN_DIR/" | sort -r | xargs -r umount -l 2>/dev/null || true
	rm -rf --one-file-system "$RUN_DIR/exec"
	rmdir "$RUN_DIR" 2>/dev/null || true
fi
if $purge; then
	log "purging $SECPROF_CACHE_DIR"
	findmnt -rno TARGET | grep "^$SECPROF_CACHE_DIR/" | sort -r | xargs -r umount -l 2>/dev/null || true
	rm -rf --one-file-system "$SECPROF_CACHE_DIR"
fi
if $purge; then
	log "e2e environment stopped, cache removed"
else
	log "e2e environment stopped (cache kept in $SECPROF_CACHE_DIR)"
fi
