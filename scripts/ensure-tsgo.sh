#!/usr/bin/env bash
# Prints the path of the Effect-aware TypeScript 7 compiler (@effect/tsgo: tsc with the
# @effect/language-service rules built in), installing it into a cache the first time.
# It is kept out of package.json on purpose: the registry serves its linux-x64 build only, so a lock
# file naming it could never list the other platforms' builds and `npm ci` would refuse the lock.
# Usage: "$(bash scripts/ensure-tsgo.sh)" --noEmit -p tsconfig.json
set -euo pipefail
TSGO_VERSION="0.45.0"
prefix="${TASKQ_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/taskq}/tsgo-$TSGO_VERSION"
cli="$prefix/node_modules/.bin/effect-tsgo"
if [ ! -f "$cli" ]; then
  mkdir -p "$prefix"
  echo "ensure-tsgo: installing @effect/tsgo@$TSGO_VERSION into $prefix" >&2
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "@effect/tsgo@$TSGO_VERSION" >&2
fi
# it picks the compiler matching the project's own typescript, so it runs from the project dir
exe=$("$cli" get-exe-path)
[ -x "$exe" ] || { echo "ensure-tsgo: no compiler at $exe" >&2; exit 1; }
echo "$exe"
