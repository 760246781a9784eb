#!/usr/bin/env bash
# Run a command inside a fresh Stackdeck test environment (private dockerd + fixture image + Redis),
# then tear it down whatever happens, and exit with the command's status.
#
#   bash scripts/with-test-env.sh npx vitest run --project integration
#
# STACKDECK_TEST_ENV_KEEP=1 leaves the environment up afterwards and prints how to use it.
# STACKDECK_TEST_DOCKER_HOST / STACKDECK_TEST_REDIS_URL set beforehand: reuse those (see testenv/up.sh).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -gt 0 ] || {
  echo "usage: with-test-env.sh <command> [args...]" >&2
  exit 2
}

# Always a new directory: several runs may share this machine at once.
envdir="$(mktemp -d /tmp/stackdeck-testenv-XXXXXX)"
keep="${STACKDECK_TEST_ENV_KEEP:-0}"

teardown() {
  local status=$?
  trap - EXIT INT TERM
  if [ "$keep" = 1 ]; then
    {
      echo
      echo "[testenv] kept up (STACKDECK_TEST_ENV_KEEP=1). Use it with:"
      echo "  source $envdir/env.sh"
      echo "[testenv] and remove it with:"
      echo "  bash $here/testenv/down.sh $envdir"
    } >&2
  else
    bash "$here/testenv/down.sh" "$envdir" || echo "[testenv] teardown of $envdir reported errors" >&2
  fi
  exit "$status"
}
trap teardown EXIT
# Until the command runs, a signal just ends this script (the EXIT trap tears down).
trap 'exit 130' INT
trap 'exit 143' TERM

envfile="$(STACKDECK_TEST_ENVDIR="$envdir" bash "$here/testenv/up.sh" "$envdir")" || {
  echo "[testenv] could not bring the test environment up" >&2
  exit 1
}
# shellcheck disable=SC1090
. "$envfile"

# In the background + `wait`, so a TERM/INT sent to this script is handled at once (bash defers traps
# while a foreground child runs): pass it on, let the command finish, then tear down.
# `<&0` keeps stdin (a background job would otherwise read /dev/null).
"$@" <&0 &
child=$!
signalled=""
trap 'signalled=130; kill -TERM "$child" 2>/dev/null' INT
trap 'signalled=143; kill -TERM "$child" 2>/dev/null' TERM
while kill -0 "$child" 2>/dev/null; do
  wait "$child"
done
wait "$child"
status=$?
[ -z "$signalled" ] || [ "$status" -ne 0 ] || status="$signalled"
exit "$status"
