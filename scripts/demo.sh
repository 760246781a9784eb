#!/usr/bin/env bash
# `npm run demo`: a small fake trading stack to point Stackdeck at.
#
#   bash scripts/demo.sh          start (or restart) it and write a settings file for Stackdeck
#   bash scripts/demo.sh down     remove exactly what it made: its containers and image (by label),
#                                 its Redis and sample agents, its private engine, its directory
#
# Everything is per checkout: the id below is a hash of this checkout's path, so two checkouts (or two
# agents' worktrees) on one machine never share containers, a label, an image tag or a private engine.
#
# Uses DOCKER_HOST (or the current docker context / default socket). When no engine answers and we
# run as root, it starts a private one (scripts/testenv/dockerd.sh in /tmp/stackdeck-demo-<id>, kept
# until `demo.sh down`; STACKDECK_DEMO_PRIVATE=0 refuses); otherwise it says what to do and stops.
# Redis: STACKDECK_DEMO_REDIS_URL, else one already on 127.0.0.1:6379, else a throw-away redis-server.
#
# The containers run with --network host so they reach Redis on loopback: the engine must run on this
# machine (not in a VM such as Docker Desktop's, and not remote).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/lib.sh
. "$here/testenv/lib.sh"

demo_id="$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-10)"
demo_dir="${STACKDECK_DEMO_DIR:-$REPO_ROOT/.testenv/demo}"
# In /tmp, not in the checkout: the engine's unix sockets must stay short (dockerd.sh checks).
private_env="/tmp/stackdeck-demo-$demo_id"
image="stackdeck-fixture:demo-$demo_id"
DEMO_LABEL="stackdeck.demo=$demo_id"
prefix="stackdeck-demo-$demo_id"

engine_answers() { dk "$1" info --format '{{.ID}}' >/dev/null 2>&1; }

current_host() {
  if [ -n "${DOCKER_HOST:-}" ]; then
    echo "$DOCKER_HOST"
    return
  fi
  local h
  h="$(docker context inspect --format '{{.Endpoints.docker.Host}}' 2>/dev/null || true)"
  echo "${h:-unix:///var/run/docker.sock}"
}

remove_containers() {
  local host="$1" ids
  ids="$(dk "$host" ps -aq --filter "label=$DEMO_LABEL" 2>/dev/null || true)"
  # shellcheck disable=SC2086
  [ -z "$ids" ] || dk "$host" rm -f -v $ids >/dev/null
}

# Only what carries this checkout's label: image.sh stamps it on the image it imports too.
remove_demo() {
  local host="$1" imgs
  remove_containers "$host"
  imgs="$(dk "$host" image ls -q --filter "label=$DEMO_LABEL" 2>/dev/null | sort -u || true)"
  # shellcheck disable=SC2086
  [ -z "$imgs" ] || dk "$host" rmi -f $imgs >/dev/null 2>&1 || true
}

down() {
  stop_agents
  local host=""
  [ -r "$demo_dir/docker-host" ] && host="$(cat "$demo_dir/docker-host")"
  [ -n "$host" ] || host="$(current_host)"
  if engine_answers "$host"; then
    remove_demo "$host"
    log "removed the demo's containers and image ($DEMO_LABEL) from $host"
  fi
  if [ -d "$demo_dir/redis" ]; then bash "$here/testenv/redis.sh" stop "$demo_dir/redis"; fi
  # Only a directory this script made (the marker names the checkout) is stopped and removed.
  if [ -e "$private_env/.stackdeck-demo" ]; then
    bash "$here/testenv/dockerd.sh" stop "$private_env"
    rm -rf --one-file-system "$private_env"
    log "stopped and removed the private engine in $private_env"
  fi
  rm -rf "$demo_dir"
  rmdir "$(dirname "$demo_dir")" 2>/dev/null || true
  log "demo removed"
}

no_engine() {
  die "no Docker engine answers at $1. Either make one reachable:
    sudo systemctl start docker                  (or start Docker however this machine does)
    sudo usermod -aG docker \$USER               (then log in again), or: export DOCKER_HOST=unix:///path/to/docker.sock
  or let the demo start a private engine of its own (needs root; \`npm run demo -- down\` removes it):
    sudo -E env PATH=\"\$PATH\" npm run demo"
}

# A private engine for this checkout: dockerd only (the test environment's Redis and PostgreSQL are
# not needed), under /tmp. Prints its DOCKER_HOST.
start_private() {
  if [ -e "$private_env" ] && [ ! -O "$private_env" ]; then
    die "$private_env exists and is not ours; remove it, or run the demo as its owner"
  fi
  mkdir -p "$private_env"
  printf '%s\n' "$REPO_ROOT" >"$private_env/.stackdeck-demo"
  if bash "$here/testenv/dockerd.sh" status "$private_env"; then
    log "no Docker engine answers at $1: using this checkout's private one in $private_env"
  else
    log "no Docker engine answers at $1: starting a private one in $private_env (\`npm run demo -- down\` removes it)"
  fi
  ensure_packages --need-dockerd
  bash "$here/testenv/dockerd.sh" start "$private_env"
}

write_config() {
  mkdir -p "$demo_dir/config"
  if [ -f "$REPO_ROOT/config.example.toml" ]; then
    # The example's holidays and early closes, moved next to today (scripts/demo-dates.mjs).
    node "$here/demo-dates.mjs" <"$REPO_ROOT/config.example.toml" >"$demo_dir/config/config.toml"
  else
    cat >"$demo_dir/config/config.toml" <<'EOF'
# Demo config for the Stackdeck fixture stack. Edit it in Stackdeck, then Save & Restart:
# every service logs "Config reloaded sha=..." with the new digest.

[trading]
enabled = true
max_position = 5

[[trading.windows]]
days = ["mon", "tue", "wed", "thu", "fri"]
start = "09:30"
end = "16:00"
timezone = "America/New_York"

[scanner]
interval_seconds = 30
symbols = ["AAPL", "MSFT", "SPY"]
EOF
  fi
}

# The HTTP agent's token, made once per demo directory and kept at mode 0600 (only its digest goes
# into the settings file).
agent_token() {
  local f="$demo_dir/agent-token"
  if [ ! -s "$f" ]; then
    (umask 077 && node -e 'process.stdout.write(require("node:crypto").randomBytes(24).toString("base64url"))' >"$f")
  fi
  cat "$f"
}

write_settings() {
  local host="$1" redis_url="$2" f="$demo_dir/settings.json"
  node - "$f" "$host" "$redis_url" "$demo_dir" "$demo_id" "$(agent_token)" <<'EOF'
const [file, host, redisUrl, dir, id, agentToken] = process.argv.slice(2)
const sha = (t) => require('node:crypto').createHash('sha256').update(t, 'utf8').digest('hex')
const reload = (signal) => ({ signal, logPattern: 'Config reloaded', timeoutMs: 10000 })
const settings = {
  docker: { endpoints: [{ id: 'demo', url: host }] },
  services: [
    { name: 'orchestrator', selector: { app: 'python-orchestrator', 'stackdeck.demo': id }, reload: reload('SIGUSR1') },
    { name: 'scanner', selector: { app: 'go-scanner', 'stackdeck.demo': id }, reload: reload('SIGHUP') },
    { name: 'agents', selector: { app: 'agent', 'stackdeck.demo': id }, reload: reload('SIGHUP') },
  ],
  config: { path: `${dir}/config/config.toml`, keepBackups: 20 },
  redis: { url: redisUrl },
  // The sample HTTP agent's token: it may only beat, pull and ack for trainer-1's runs. An agent
  // token leaves the host's own admin token file in place (README, Control API).
  api: { tokens: [{ name: 'trainer-1', sha256: sha(agentToken), scope: 'agent', agent: 'trainer-1' }] },
  stateDir: `${dir}/state`,
}
require('node:fs').writeFileSync(file, JSON.stringify(settings, null, 2) + '\n')
EOF
  echo "$f"
}

pick_redis() {
  if [ -n "${STACKDECK_DEMO_REDIS_URL:-}" ]; then
    echo "$STACKDECK_DEMO_REDIS_URL"
  elif command -v redis-cli >/dev/null 2>&1 && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; then
    echo "redis://127.0.0.1:6379"
  else
    ensure_packages --need-redis
    bash "$here/testenv/redis.sh" start "$demo_dir/redis"
  fi
}

run_one() {
  local host="$1" name="$2" redis_host="$3" redis_port="$4"
  shift 4
  # Remaining args: extra `docker run` flags (labels, env).
  dk "$host" run -d --name "$name" --network host \
    --label "$DEMO_LABEL" \
    -v "$demo_dir/config:/config:ro" \
    -e "REDIS_HOST=$redis_host" -e "REDIS_PORT=$redis_port" -e HEARTBEAT_INTERVAL=2 \
    "$@" "$image" >/dev/null
}

up() {
  local host
  host="$(current_host)"
  if ! command -v docker >/dev/null 2>&1 || ! engine_answers "$host"; then
    if [ "$(id -u)" != 0 ] || [ "${STACKDECK_DEMO_PRIVATE:-}" = 0 ]; then no_engine "$host"; fi
    host="$(start_private "$host")"
  fi
  ensure_packages
  mkdir -p "$demo_dir/state"
  echo "$host" >"$demo_dir/docker-host"

  # Imported once: image.sh skips the import when the tag already holds the same content and labels.
  bash "$here/testenv/image.sh" "$host" "$image" "$DEMO_LABEL" >/dev/null
  write_config
  local redis_url redis_hp redis_host redis_port
  redis_url="$(pick_redis)"
  redis_hp="${redis_url#*://}"
  redis_hp="${redis_hp#*@}"
  redis_hp="${redis_hp%%/*}"
  redis_host="${redis_hp%%:*}"
  redis_port="${redis_hp##*:}"
  [ "$redis_port" != "$redis_hp" ] || redis_port=6379

  remove_containers "$host"
  # Every container carries `stackdeck.agent=<agent_id>`, the orchestrator and the scanners as much as
  # the agents: with --network host a container's hostname is the host's, so the heartbeat's hostname
  # cannot name it, and without the label a paused orchestrator or scanner would read "dead" instead
  # of "paused" (README: agents and containers).
  run_one "$host" "$prefix-orchestrator" "$redis_host" "$redis_port" \
    --label app=python-orchestrator --label stackdeck.agent=orchestrator \
    -e SERVICE_NAME=orchestrator -e AGENT_ID=orchestrator -e AGENT_GROUP=orchestration
  local i
  for i in 1 2; do
    run_one "$host" "$prefix-scanner-$i" "$redis_host" "$redis_port" \
      --label app=go-scanner --label "stackdeck.agent=scanner-$i" \
      -e "SERVICE_NAME=scanner-$i" -e "AGENT_ID=scanner-$i" -e AGENT_GROUP=ingestion
    run_one "$host" "$prefix-agent-$i" "$redis_host" "$redis_port" \
      --label app=agent --label "stackdeck.agent=agent-$i" \
      -e "SERVICE_NAME=agent-$i" -e "AGENT_ID=agent-$i" -e AGENT_GROUP=execution
  done

  local settings
  settings="$(write_settings "$host" "$redis_url")"

  # The sample agents (market data, regime, execution agents that answer commands and the killswitch).
  stop_agents
  # The HTTP agent creates its run with the host's admin token, read from the state directory once
  # the host has started (it retries until then).
  REDIS_URL="$redis_url" HTTP_AGENT_TOKEN="$(agent_token)" HTTP_AGENT_CREATE_TOKEN_FILE="$demo_dir/state/api-token" \
    nohup node "$here/../e2e/agents/run-all.mjs" >"$demo_dir/agents.log" 2>&1 &
  echo $! >"$demo_dir/agents.pid"
  cat <<EOF

Demo stack is up on $host (5 containers labelled $DEMO_LABEL), Redis at $redis_url.
  config:   $demo_dir/config/config.toml (holidays and early closes set next to today)
  settings: $settings

Start Stackdeck on it:
  npm start -- --settings $settings          (desktop, or headless when there is no display)
  npm run serve -- --settings $settings      (headless host)

Sample agents:    node e2e/agents/run-all.mjs (log: $demo_dir/agents.log), with trainer-1 on HTTP
                  (e2e/agents/http-agent.mjs: it creates its run once the host is up on 127.0.0.1:7420)
Watch a service:  DOCKER_HOST=$host docker logs -f $prefix-orchestrator
Remove it all:    npm run demo -- down
EOF
}

stop_agents() {
  local pidfile="$demo_dir/agents.pid"
  if [ -f "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  fi
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  *) die "usage: demo.sh [up|down]" ;;
esac
