# Shared helpers for the Stackdeck test environment. Sourced, never executed.
# shellcheck shell=bash

TESTENV_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$TESTENV_LIB_DIR/../.." && pwd)"
export REPO_ROOT

# Logs go to stderr so callers can capture a script's stdout (an URL, a path) cleanly.
log() { printf '[testenv] %s\n' "$*" >&2; }
die() {
  printf '[testenv] ERROR: %s\n' "$*" >&2
  exit 1
}

now_ms() { date +%s%3N; }

# `docker` client for a given host; DOCKER_CONTEXT would otherwise win over -H in some setups.
dk() {
  local host="$1"
  shift
  DOCKER_CONTEXT= DOCKER_HOST="$host" docker "$@"
}

is_debian() { [ -r /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; }

busybox_path() {
  local p
  for p in /bin/busybox /usr/bin/busybox "$(command -v busybox 2>/dev/null)"; do
    [ -n "$p" ] && [ -x "$p" ] && {
      echo "$p"
      return 0
    }
  done
  return 1
}

# The fixture rootfs has no libc, so busybox must be the static build.
busybox_is_static() {
  local bb
  bb="$(busybox_path)" || return 1
  ! ldd "$bb" >/dev/null 2>&1
}

# Install what is missing (root on Debian only); otherwise say exactly what to install.
# Usage: ensure_packages [--need-dockerd] [--need-redis] [--need-postgres] [--need-chromium]
ensure_packages() {
  local want_dockerd=0 want_redis=0 want_postgres=0 want_chromium=0 a
  for a in "$@"; do
    case "$a" in
      --need-dockerd) want_dockerd=1 ;;
      --need-redis) want_redis=1 ;;
      --need-postgres) want_postgres=1 ;;
      --need-chromium) want_chromium=1 ;;
    esac
  done
  local missing=()
  command -v docker >/dev/null 2>&1 || missing+=(docker.io)
  if [ "$want_dockerd" = 1 ] && ! command -v dockerd >/dev/null 2>&1 && [ ! -x /usr/sbin/dockerd ]; then
    [[ " ${missing[*]} " == *" docker.io "* ]] || missing+=(docker.io)
  fi
  busybox_is_static || missing+=(busybox-static)
  if [ "$want_redis" = 1 ] && ! command -v redis-server >/dev/null 2>&1; then missing+=(redis-server); fi
  if [ "$want_postgres" = 1 ] && ! command -v pg_ctl >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then missing+=(postgresql); fi
  if [ "$want_chromium" = 1 ] && ! command -v chromium >/dev/null 2>&1; then missing+=(chromium); fi
  [ "${#missing[@]}" = 0 ] && return 0

  if [ "$(id -u)" = 0 ] && is_debian; then
    log "installing missing packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
  else
    die "missing packages: ${missing[*]} (install them, e.g. 'sudo apt-get install -y ${missing[*]}')"
  fi
}

dockerd_bin() {
  command -v dockerd 2>/dev/null || { [ -x /usr/sbin/dockerd ] && echo /usr/sbin/dockerd; } || return 1
}

# Alive and not a zombie: an init that reaps lazily leaves exited daemons as zombies for a while,
# and `kill -0` succeeds on those.
pid_alive() {
  local pid="$1" stat
  kill -0 "$pid" 2>/dev/null || return 1
  stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [ "${stat%% *}" != Z ]
}

# Is the process named by this pidfile alive?
pidfile_alive() {
  local f="$1" pid
  [ -s "$f" ] || return 1
  pid="$(cat "$f" 2>/dev/null)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  pid_alive "$pid"
}

# Send TERM to the pid in a pidfile, wait up to $2 seconds, then KILL. Returns once it is gone.
stop_pidfile() {
  local f="$1" wait_s="${2:-20}" pid i
  pidfile_alive "$f" || return 0
  pid="$(cat "$f")"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < wait_s * 10; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  log "pid $pid ($f) ignored TERM for ${wait_s}s; killing"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  return 1
}

# A free TCP port on 127.0.0.1 (the OS picks it; a tiny race remains, callers retry on bind failure).
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})'
}

# Unmount everything at or below a directory, deepest first; lazy as a last resort.
unmount_under() {
  local dir="$1" m
  [ -n "$dir" ] || return 0
  dir="$(realpath -m "$dir")"
  local mounts
  mounts="$(awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r)"
  [ -n "$mounts" ] || return 0
  while IFS= read -r m; do
    [ -n "$m" ] || continue
    umount "$m" 2>/dev/null || umount -R "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
  done <<<"$mounts"
}

# Kill what is left of containers whose engine died without stopping them (dockerd/containerd
# KILLed): their processes live on in cgroups named after the container id. Only the ids listed
# under this engine's data root are touched; other engines share the parent "docker" cgroup.
kill_container_leftovers() {
  local data_root="$1" ids cgs cg pid
  ids="$(ls "$data_root/containers" 2>/dev/null | grep -E '^[0-9a-f]{64}$' || true)"
  [ -n "$ids" ] || return 0
  # One pass over the cgroup tree (v1 controllers/docker/<id>, v2 .../docker-<id>.scope).
  cgs="$(find /sys/fs/cgroup -maxdepth 5 -type d -regextype posix-extended \
    -regex '.*/(docker-)?[0-9a-f]{64}(\.scope)?' 2>/dev/null | grep -F -f <(printf '%s\n' "$ids") || true)"
  [ -n "$cgs" ] || return 0
  while IFS= read -r cg; do
    # A frozen (paused) task keeps a pending SIGKILL until thawed.
    [ -w "$cg/freezer.state" ] && echo THAWED >"$cg/freezer.state" 2>/dev/null
    [ -w "$cg/cgroup.freeze" ] && echo 0 >"$cg/cgroup.freeze" 2>/dev/null
    for pid in $(cat "$cg/cgroup.procs" 2>/dev/null); do
      kill -KILL "$pid" 2>/dev/null && log "killed leftover container process $pid ($(basename "$cg" | cut -c1-19))"
    done
  done <<<"$cgs"
  sleep 0.3
  # Empty cgroup directories can then go (rmdir refuses non-empty ones, which is what we want).
  while IFS= read -r cg; do
    rmdir "$cg" 2>/dev/null || true
  done <<<"$cgs"
}

shell_quote() {
  local out="" a
  for a in "$@"; do out+="$(printf '%q' "$a") "; done
  printf '%s' "${out% }"
}
