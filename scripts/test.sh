#!/usr/bin/env bash
# The test command for a fresh machine: installs what is missing (Node 24), the project's
# dependencies, then typechecks, builds and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(bash scripts/ensure-node.sh):$PATH"
[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
npm test
