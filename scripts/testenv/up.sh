#!/usr/bin/env bash
# Bring up the Stackdeck test environment: a private dockerd, the fixture image and a throw-away Redis.
#
#   scripts/testenv/up.sh [ENVDIR]
#
# ENVDIR: argument, else $STACKDECK_TEST_ENVDIR, else a new /tmp/stackdeck-testenv-XXXXXX.
# Idempotent per ENVDIR: a second run reuses what is alive and restarts what is not.
# Prints the path of ENVDIR/env.sh (the only stdout line); `source` it to get the STACKDECK_TEST_* vars.
#
# Reuse instead of start: set STACKDECK_TEST_DOCKER_HOST and/or STACKDECK_TEST_REDIS_URL beforehand.
# Then nothing is started for that part, and down.sh only removes containers/images carrying this
# run's label. STACKDECK_TEST_SECOND_DOCKER=1 also starts a second private engine
# (STACKDECK_TEST_DOCKER_HOST_2) for multi-endpoint tests.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here="$TESTENV_LIB_DIR"
t0="$(now_ms)"

envdir="${1:-${STACKDECK_TEST_ENVDIR:-}}"
if [ -z "$envdir" ]; then
  # /tmp, not $TMPDIR: socket paths must stay short.
  envdir="$(mktemp -d /tmp/stackdeck-testenv-XXXXXX)"
fi
mkdir -p "$envdir"
envdir="$(realpath "$envdir")"
# down.sh refuses to delete a directory without this marker.
touch "$envdir/.stackdeck-testenv"

own_host="unix://$envdir/docker.sock"
external_docker=""
if [ -n "${STACKDECK_TEST_DOCKER_HOST:-}" ] && [ "$STACKDECK_TEST_DOCKER_HOST" != "$own_host" ]; then
  external_docker="$STACKDECK_TEST_DOCKER_HOST"
fi
external_redis=""
own_redis=""
[ -s "$envdir/redis.port" ] && own_redis="redis://127.0.0.1:$(cat "$envdir/redis.port")"
if [ -n "${STACKDECK_TEST_REDIS_URL:-}" ] && [ "$STACKDECK_TEST_REDIS_URL" != "$own_redis" ]; then
  external_redis="$STACKDECK_TEST_REDIS_URL"
fi
external_pg=""
own_pg=""
[ -s "$envdir/postgres/port" ] && own_pg="postgres://stackdeck@127.0.0.1:$(cat "$envdir/postgres/port")/stackdeck"
if [ -n "${STACKDECK_TEST_PG_URL:-}" ] && [ "$STACKDECK_TEST_PG_URL" != "$own_pg" ]; then
  external_pg="$STACKDECK_TEST_PG_URL"
fi

pkg_flags=(--need-chromium)
[ -n "$external_docker" ] || pkg_flags+=(--need-dockerd)
[ -n "$external_redis" ] || pkg_flags+=(--need-redis)
[ -n "$external_pg" ] || pkg_flags+=(--need-postgres)
ensure_packages "${pkg_flags[@]}"

# One label value per environment, stable across re-runs of up.sh on the same ENVDIR.
if [ ! -s "$envdir/label" ]; then
  echo "run-$(basename "$envdir" | sed 's/^stackdeck-testenv-//')-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')" >"$envdir/label"
fi
label="$(cat "$envdir/label")"

# --- Docker ---------------------------------------------------------------------------------------
if [ -n "$external_docker" ]; then
  dk "$external_docker" info --format '{{.ID}}' >/dev/null 2>&1 ||
    die "STACKDECK_TEST_DOCKER_HOST=$external_docker does not answer 'docker info'"
  docker_host="$external_docker"
  dockerd_pidfile=""
  dockerd_cmd=""
  # A shared engine may hold other runs' images: give ours a tag of its own.
  image="stackdeck-fixture:$label"
else
  docker_host="$(bash "$here/dockerd.sh" start "$envdir")"
  dockerd_pidfile="$envdir/docker.pid"
  dockerd_cmd="$(cat "$envdir/dockerd.cmd")"
  image="stackdeck-fixture:test"
fi
t_docker="$(now_ms)"
bash "$here/image.sh" "$docker_host" "$image" "stackdeck.test=$label" >/dev/null
t_image="$(now_ms)"

docker_host_2=""
if [ "${STACKDECK_TEST_SECOND_DOCKER:-0}" = 1 ]; then
  docker_host_2="$(bash "$here/dockerd.sh" start "$envdir/d2")"
  bash "$here/image.sh" "$docker_host_2" "$image" "stackdeck.test=$label" >/dev/null
fi

# --- Redis ----------------------------------------------------------------------------------------
if [ -n "$external_redis" ]; then
  redis_url="$external_redis"
else
  redis_url="$(bash "$here/redis.sh" start "$envdir")"
fi
t_redis="$(now_ms)"

# --- PostgreSQL (the history store's team engine) ------------------------------------------------
if [ -n "$external_pg" ]; then
  pg_url="$external_pg"
else
  pg_url="$(bash "$here/postgres.sh" start "$envdir")"
fi
t_pg="$(now_ms)"

# --- env.sh ---------------------------------------------------------------------------------------
q() { printf '%q' "$1"; }
{
  echo "# Stackdeck test environment ($(date -u +%Y-%m-%dT%H:%M:%SZ)). Source this file."
  echo "export STACKDECK_TEST_ENVDIR=$(q "$envdir")"
  echo "export STACKDECK_TEST_DOCKER_HOST=$(q "$docker_host")"
  echo "export STACKDECK_TEST_REDIS_URL=$(q "$redis_url")"
  echo "export STACKDECK_TEST_PG_URL=$(q "$pg_url")"
  echo "export STACKDECK_TEST_IMAGE=$(q "$image")"
  echo "export STACKDECK_TEST_LABEL=$(q "$label")"
  echo "export STACKDECK_TEST_DOCKERD_PIDFILE=$(q "$dockerd_pidfile")"
  echo "export STACKDECK_TEST_DOCKERD_CMD=$(q "$dockerd_cmd")"
  echo "export STACKDECK_TEST_DOCKERD_LOG=$(q "${dockerd_pidfile:+$envdir/dockerd.log}")"
  echo "export STACKDECK_TEST_DOCKER_HOST_2=$(q "$docker_host_2")"
  echo "export STACKDECK_TEST_SCRIPTS=$(q "$here")"
} >"$envdir/env.sh.tmp"
mv "$envdir/env.sh.tmp" "$envdir/env.sh"

# What down.sh needs to know to remove only our things.
{
  echo "external_docker=$(q "$external_docker")"
  echo "external_redis=$(q "$external_redis")"
  echo "external_pg=$(q "$external_pg")"
  echo "image=$(q "$image")"
  echo "label=$(q "$label")"
} >"$envdir/state.sh"

log "up in $(($(now_ms) - t0)) ms (docker $((t_docker - t0)) ms, image $((t_image - t_docker)) ms, redis $((t_redis - t_image)) ms, postgres $((t_pg - t_redis)) ms): $envdir"
echo "$envdir/env.sh"
