#!/usr/bin/env bash
# Tear down what up.sh created, and only that. Safe to run twice.
#
#   scripts/testenv/down.sh [ENVDIR]      (default: $STACKDECK_TEST_ENVDIR)
#
# Reused (external) Docker: removes containers and images labelled stackdeck.test=<this run's label>.
# Private engines under ENVDIR (ENVDIR itself and any second one started in a subdirectory): stopped.
# Our Redis: stopped. Then leftover mounts under ENVDIR are unmounted and ENVDIR is removed.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here="$TESTENV_LIB_DIR"
t0="$(now_ms)"

envdir="${1:-${STACKDECK_TEST_ENVDIR:-}}"
[ -n "$envdir" ] || die "usage: down.sh <ENVDIR> (or set STACKDECK_TEST_ENVDIR)"
if [ ! -d "$envdir" ]; then
  log "nothing to do: $envdir does not exist"
  exit 0
fi
envdir="$(realpath "$envdir")"
[ "$envdir" != / ] || die "refusing to operate on /"
if [ ! -e "$envdir/.stackdeck-testenv" ]; then
  # An up.sh that failed before writing anything leaves an empty directory behind.
  rmdir "$envdir" 2>/dev/null && exit 0
  die "$envdir has no .stackdeck-testenv marker; not removing it"
fi

external_docker=""
label=""
image=""
# shellcheck disable=SC1091
[ -r "$envdir/state.sh" ] && . "$envdir/state.sh"

if [ -n "$external_docker" ] && [ -n "$label" ]; then
  if dk "$external_docker" info --format '{{.ID}}' >/dev/null 2>&1; then
    ids="$(dk "$external_docker" ps -aq --filter "label=stackdeck.test=$label")"
    # shellcheck disable=SC2086
    [ -z "$ids" ] || dk "$external_docker" rm -f -v $ids >/dev/null || log "could not remove some containers"
    imgs="$(dk "$external_docker" image ls -q --filter "label=stackdeck.test=$label" | sort -u)"
    # shellcheck disable=SC2086
    [ -z "$imgs" ] || dk "$external_docker" rmi -f $imgs >/dev/null || log "could not remove some images"
  else
    log "external docker $external_docker does not answer; leaving its containers alone"
  fi
fi

# Engines and Redis each take a second or more to exit, so stop them all in parallel.
# Every private engine: ENVDIR itself and subdirectories (second endpoints). Depth 2 keeps find out
# of the engines' data roots, which hold container filesystems.
pids=()
while IFS= read -r d; do
  bash "$here/dockerd.sh" stop "$d" &
  pids+=($!)
done < <(find "$envdir" -maxdepth 2 \( -name docker.pid -o -name dockerd.cmd \) -printf '%h\n' 2>/dev/null | sort -u)
bash "$here/redis.sh" stop "$envdir" &
pids+=($!)
bash "$here/postgres.sh" stop "$envdir" &
pids+=($!)
for p in "${pids[@]}"; do
  wait "$p" || log "a stop step failed (see above)"
done

unmount_under "$envdir"
rm -rf --one-file-system "$envdir" 2>/dev/null || {
  # A mount we could not take off (busy): detach it lazily and retry once.
  unmount_under "$envdir"
  rm -rf --one-file-system "$envdir" || die "could not remove $envdir"
}
log "down in $(($(now_ms) - t0)) ms: removed $envdir"
