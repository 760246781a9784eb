#!/usr/bin/env bash
# A throw-away PostgreSQL on a free loopback port, its data directory under one directory.
#
#   postgres.sh start <dir>   start (or reuse) it; prints postgres://stackdeck@127.0.0.1:<port>/stackdeck
#   postgres.sh stop <dir>    stop it (safe to repeat)
#
# Files in <dir>/postgres: data/ (the cluster), port, last-port, log. Trust auth on loopback only, no Unix
# socket, fsync off: it holds test data for one run and is deleted with the directory.
# PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user that
# Debian's package creates.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 2 ] || die "usage: postgres.sh start|stop <dir>"
action="$1"
dir="$(realpath -m "$2")"
pg="$dir/postgres"
data="$pg/data"
portfile="$pg/port"

bindir() {
  local c
  c="$(command -v pg_ctl 2>/dev/null)" && { dirname "$(realpath "$c")"; return 0; }
  c="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$c" ] && [ -x "$c/pg_ctl" ] && { echo "$c"; return 0; }
  return 1
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

url_for() { echo "postgres://stackdeck@127.0.0.1:$1/stackdeck"; }

ready() { as_owner "$bin/pg_isready" -q -h 127.0.0.1 -p "$1" -d stackdeck -U stackdeck 2>/dev/null; }

start() {
  bin="$(bindir)" || die "PostgreSQL not found (install postgresql)"
  if [ -s "$portfile" ] && ready "$(cat "$portfile")"; then
    url_for "$(cat "$portfile")"
    return 0
  fi
  mkdir -p "$pg"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "no 'postgres' user to run PostgreSQL as (install postgresql)"
    # The cluster's owner must reach its directory: traverse-only on the parents we made.
    chmod 711 "$dir"
    chown postgres: "$pg"
  fi
  if [ ! -s "$data/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$data" -U stackdeck -A trust -E UTF8 --no-sync >"$pg/initdb.log" 2>&1 ||
      { tail -n 20 "$pg/initdb.log" >&2; die "initdb failed (log: $pg/initdb.log)"; }
  fi
  local attempt port i prev=""
  # A restart keeps its port when it can, so clients reconnect to the same URL (outage tests).
  [ -s "$pg/last-port" ] && prev="$(cat "$pg/last-port")"
  for attempt in 1 2 3 4 5; do
    if [ "$attempt" = 1 ] && [ -n "$prev" ]; then port="$prev"; else port="$(free_port)"; fi
    if as_owner "$bin/pg_ctl" -D "$data" -l "$pg/log" -w -t 30 \
      -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null 2>&1; then
      for ((i = 0; i < 50; i++)); do
        if ready "$port"; then
          as_owner "$bin/psql" -q -h 127.0.0.1 -p "$port" -U stackdeck -d postgres -c 'CREATE DATABASE stackdeck' >/dev/null 2>&1 || true
          echo "$port" >"$portfile"
          echo "$port" >"$pg/last-port"
          url_for "$port"
          return 0
        fi
        sleep 0.1
      done
    fi
    log "postgres did not come up on port $port (attempt $attempt)"
    as_owner "$bin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
  done
  tail -n 20 "$pg/log" >&2 2>/dev/null || true
  die "could not start PostgreSQL (log: $pg/log)"
}

stop() {
  [ -d "$data" ] || return 0
  bin="$(bindir)" || return 0
  as_owner "$bin/pg_ctl" -D "$data" -m fast -w -t 20 stop >/dev/null 2>&1 ||
    as_owner "$bin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
  rm -f "$portfile"
}

case "$action" in
  start) start ;;
  stop) stop ;;
  *) die "usage: postgres.sh start|stop <dir>" ;;
esac
