#!/usr/bin/env bash
# A private Docker engine living entirely under one directory.
#
#   dockerd.sh start <dir>    start (or reuse) it; prints its DOCKER_HOST (unix://<dir>/docker.sock)
#   dockerd.sh stop <dir>     stop it and unmount what it left behind (safe to repeat)
#   dockerd.sh status <dir>   exit 0 when it answers
#   dockerd.sh cmd <dir>      print the command line that (re)starts it, for tests that bounce it
#
# Files in <dir>: docker.sock, docker.pid, dockerd.log, daemon.json, dockerd.cmd, docker-data/, docker-exec/.
# No bridge, no iptables: containers use --network host or none, so nothing touches host networking.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

START_TIMEOUT_S="${STACKDECK_TEST_DOCKERD_TIMEOUT:-60}"

usage() { die "usage: dockerd.sh start|stop|status|cmd <dir>"; }

[ $# -eq 2 ] || usage
action="$1"
dir="$(realpath -m "$2")"

sock="$dir/docker.sock"
host="unix://$sock"
pidfile="$dir/docker.pid"
logfile="$dir/dockerd.log"
exec_root="$dir/docker-exec"

build_cmd() {
  local bin
  bin="$(dockerd_bin)" || die "dockerd not found (install docker.io)"
  # --config-file: never pick up /etc/docker/daemon.json of the host.
  shell_quote "$bin" \
    --config-file "$dir/daemon.json" \
    --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --bridge=none --userland-proxy=false \
    --storage-driver=vfs \
    --data-root "$dir/docker-data" \
    --exec-root "$exec_root" \
    --pidfile "$pidfile" \
    --log-level warn \
    --shutdown-timeout 10 \
    -H "$host"
}

answers() { dk "$host" info --format '{{.ID}}' >/dev/null 2>&1; }

start() {
  # Unix sockets are limited to 108 bytes; containerd nests its ttrpc socket under the exec root.
  local longest="$exec_root/containerd/containerd.sock.ttrpc"
  [ "${#longest}" -lt 104 ] || die "directory path too long for unix sockets: $dir (keep it under ~50 chars)"
  mkdir -p "$dir"
  if pidfile_alive "$pidfile" && answers; then
    echo "$host"
    return 0
  fi
  if pidfile_alive "$pidfile"; then
    # Alive but not answering: a previous start may still be coming up. Give it the normal time.
    wait_ready "$(cat "$pidfile")" && {
      echo "$host"
      return 0
    }
    die "dockerd (pid $(cat "$pidfile")) in $dir does not answer; run 'dockerd.sh stop $dir' first"
  fi
  rm -f "$pidfile" "$sock"
  unmount_under "$dir/docker-data"
  [ -f "$dir/daemon.json" ] || echo '{}' >"$dir/daemon.json"
  local cmd
  cmd="$(build_cmd)"
  printf '%s\n' "$cmd" >"$dir/dockerd.cmd"
  log "starting dockerd in $dir"
  # setsid: the daemon must outlive this script and not get the caller's terminal signals.
  setsid bash -c "exec $cmd" >>"$logfile" 2>&1 </dev/null &
  local pid=$!
  wait_ready "$pid" || {
    tail -n 30 "$logfile" >&2 || true
    kill -TERM "$pid" 2>/dev/null || true
    die "dockerd in $dir failed to start or did not answer within ${START_TIMEOUT_S}s (log tail above; full log: $logfile)"
  }
  echo "$host"
}

wait_ready() {
  local pid="$1" deadline=$((SECONDS + START_TIMEOUT_S))
  while ((SECONDS < deadline)); do
    answers && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      log "dockerd exited during start-up"
      return 1
    fi
    sleep 0.2
  done
  return 1
}

stop() {
  [ -d "$dir" ] || return 0
  if pidfile_alive "$pidfile"; then
    log "stopping dockerd in $dir"
    stop_pidfile "$pidfile" 30 || log "dockerd in $dir would not die"
  fi
  # containerd is dockerd's child and normally exits with it; a KILLed dockerd leaves it behind.
  stop_pidfile "$exec_root/containerd/containerd.pid" 10 || true
  # Shims (one per container) outlive a killed containerd; they are children of init by then.
  local shim
  for shim in $(pgrep -f "containerd-shim.* -address $exec_root/containerd/containerd.sock" 2>/dev/null || true); do
    kill -KILL "$shim" 2>/dev/null || true
  done
  kill_container_leftovers "$dir/docker-data"
  unmount_under "$dir"
  rm -f "$pidfile" "$sock"
}

case "$action" in
  start) start ;;
  stop) stop ;;
  status) answers ;;
  cmd) build_cmd && echo ;;
  *) usage ;;
esac
