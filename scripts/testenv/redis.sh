#!/usr/bin/env bash
# A throw-away Redis on a free loopback port, living under one directory.
#
#   redis.sh start <dir>   start (or reuse) it; prints redis://127.0.0.1:<port>
#   redis.sh stop <dir>    stop it (safe to repeat)
#
# Files in <dir>: redis.pid, redis.port, redis.log. No persistence: --save '' --appendonly no.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 2 ] || die "usage: redis.sh start|stop <dir>"
action="$1"
dir="$(realpath -m "$2")"
pidfile="$dir/redis.pid"
portfile="$dir/redis.port"

ping() { [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = PONG ]; }

start() {
  mkdir -p "$dir"
  if pidfile_alive "$pidfile" && [ -s "$portfile" ] && ping "$(cat "$portfile")"; then
    echo "redis://127.0.0.1:$(cat "$portfile")"
    return 0
  fi
  stop_pidfile "$pidfile" 5 || true
  command -v redis-server >/dev/null 2>&1 || die "redis-server not found (install redis-server)"
  local attempt port i
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    rm -f "$pidfile"
    if redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
      --pidfile "$pidfile" --dir "$dir" --logfile "$dir/redis.log" --protected-mode no >/dev/null 2>&1; then
      for ((i = 0; i < 50; i++)); do
        if ping "$port"; then
          echo "$port" >"$portfile"
          echo "redis://127.0.0.1:$port"
          return 0
        fi
        sleep 0.1
      done
    fi
    # Most likely someone grabbed the port between probe and bind; try another one.
    log "redis did not come up on port $port (attempt $attempt)"
    stop_pidfile "$pidfile" 5 || true
  done
  tail -n 20 "$dir/redis.log" >&2 2>/dev/null || true
  die "could not start redis-server (log: $dir/redis.log)"
}

stop() {
  [ -d "$dir" ] || return 0
  stop_pidfile "$pidfile" 10 || log "redis in $dir would not die"
  rm -f "$pidfile" "$portfile"
}

case "$action" in
  start) start ;;
  stop) stop ;;
  *) die "usage: redis.sh start|stop <dir>" ;;
esac
